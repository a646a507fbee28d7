package io.jkvm.abi;

/**
 * The Linux errno values KVM's ioctls return, with their x86-64 numbers. Both backends report misuse with
 * the errno the real {@code /dev/kvm} returns for it, so that a VMM sees the same failure on either.
 */
public enum Errno {
    EPERM(1), ENOENT(2), ESRCH(3), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), ENOEXEC(8), EBADF(9),
    EAGAIN(11), ENOMEM(12), EACCES(13), EFAULT(14), EBUSY(16), EEXIST(17), ENODEV(19), EINVAL(22),
    ENFILE(23), EMFILE(24), ENOTTY(25), EFBIG(27), ENOSPC(28), ERANGE(34), ENOSYS(38), EOPNOTSUPP(95);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    /** The positive errno number, as in {@code <asm-generic/errno-base.h>}. */
    public int number() {
        return number;
    }

    /** The errno with this number, or {@code null} when jkvm does not name it. */
    public static Errno of(int number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return null;
    }
}
