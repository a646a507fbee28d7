package io.jkvm.abi;

/**
 * A KVM call that failed: which call, the errno {@code /dev/kvm} returns (or would return) for it, and what the
 * caller got wrong. Both backends throw it for the same misuse, so a VMM can handle failures without knowing
 * which backend runs its guest.
 */
public class KvmException extends RuntimeException {
    private final String operation;
    private final Errno errno;
    private final int errnoNumber;

    /**
     * @param operation the KVM call, named as in {@code kvm.h}, e.g. {@code KVM_SET_USER_MEMORY_REGION}
     * @param errno     the errno KVM returns for this failure
     * @param detail    what was wrong with the call, and what to do about it
     */
    public KvmException(String operation, Errno errno, String detail) {
        this(operation, errno, errno.number(), detail, null);
    }

    /** A failure reported by the kernel with an errno number jkvm may not name. */
    public KvmException(String operation, int errnoNumber, String detail) {
        this(operation, Errno.of(errnoNumber), errnoNumber, detail, null);
    }

    public KvmException(String operation, Errno errno, String detail, Throwable cause) {
        this(operation, errno, errno.number(), detail, cause);
    }

    private KvmException(String operation, Errno errno, int errnoNumber, String detail, Throwable cause) {
        super(operation + " failed with " + (errno != null ? errno.name() : "errno " + errnoNumber) + ": " + detail,
                cause);
        this.operation = operation;
        this.errno = errno;
        this.errnoNumber = errnoNumber;
    }

    /** The KVM call that failed, named as in {@code kvm.h}. */
    public String operation() {
        return operation;
    }

    /** The errno, or {@code null} for a kernel errno jkvm does not name (see {@link #errnoNumber()}). */
    public Errno errno() {
        return errno;
    }

    public int errnoNumber() {
        return errnoNumber;
    }
}
