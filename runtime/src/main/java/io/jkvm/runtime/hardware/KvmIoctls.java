package io.jkvm.runtime.hardware;

import io.jkvm.abi.Errno;
import io.jkvm.abi.Ioctl;
import io.jkvm.abi.KvmApi;
import io.jkvm.abi.KvmException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/**
 * Issuing a KVM ioctl and explaining its failure. The operation in a {@link KvmException} is the ioctl's
 * {@code kvm.h} name; the detail says which argument the call had and, per errno, what {@code api.rst} says that
 * errno means for this ioctl, i.e. what the caller should check.
 */
final class KvmIoctls {
    /**
     * {@code KVM_SET_SIGNAL_MASK}, {@code _IOW(KVMIO, 0x8b, struct kvm_signal_mask)}: not in {@link Ioctl} (only the
     * hardware backend uses it), computed with the same macro; {@code sizeof(struct kvm_signal_mask)} is 4 (a
     * {@code __u32 len} and a flexible array).
     */
    static final long KVM_SET_SIGNAL_MASK =
            Ioctl.ioc(Ioctl.Macro.IOW.direction(), KvmApi.KVMIO, 0x8b, Integer.BYTES);

    /** The kernel's {@code sizeof(sigset_t)} on x86-64, the {@code len} KVM_SET_SIGNAL_MASK requires. */
    static final int KERNEL_SIGSET_BYTES = 8;

    private KvmIoctls() {
    }

    /** An ioctl whose argument is a struct: checks that the segment is native and large enough first. */
    static int call(int fd, Ioctl op, MemorySegment arg, String about) {
        MemoryLayout layout = op.argument().orElse(null);
        if (layout != null && arg.byteSize() < layout.byteSize()) {
            throw new KvmException(op.name(), Errno.EFAULT, about + ": the argument segment has " + arg.byteSize()
                    + " bytes but " + layout.name().orElse("the struct") + " needs " + layout.byteSize()
                    + "; the kernel would read or write past it");
        }
        if (!arg.isNative()) {
            throw new KvmException(op.name(), Errno.EFAULT, about
                    + ": the argument is a heap segment; the kernel needs native memory (allocate it from an Arena)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(arena);
            int r = Native.ioctl(capture, fd, op.number(), arg);
            if (r < 0) {
                throw failure(op.name(), Native.errno(capture), about);
            }
            return r;
        }
    }

    /** An ioctl whose argument is passed by value (or is unused: pass 0). */
    static int call(int fd, Ioctl op, long arg, String about) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(arena);
            int r = Native.ioctl(capture, fd, op.number(), arg);
            if (r < 0) {
                throw failure(op.name(), Native.errno(capture), about);
            }
            return r;
        }
    }

    /** The exception for {@code op} failing with {@code errno}: {@code about} plus what that errno means here. */
    static KvmException failure(String operation, int errno, String about) {
        return Native.failure(operation, errno, about + "; " + explain(operation, errno));
    }

    /** What {@code errno} from {@code operation} means, after api.rst and the kernel sources. */
    static String explain(String operation, int errno) {
        Errno e = Errno.of(errno);
        if (e == null) {
            return "unexpected errno " + errno + " from the kernel";
        }
        String specific = switch (operation) {
            case "KVM_SET_USER_MEMORY_REGION" -> switch (e) {
                case EEXIST -> "the guest-physical range overlaps another slot (delete or move that slot first)";
                case EINVAL -> "guest_phys_addr, memory_size and userspace_addr must be page aligned, flags only "
                        + "KVM_MEM_LOG_DIRTY_PAGES|KVM_MEM_READONLY (READONLY needs KVM_CAP_READONLY_MEM), the slot "
                        + "id below KVM_CAP_NR_MEMSLOTS, and an existing slot may only change its flags";
                case EFAULT -> "userspace_addr is not a valid, accessible user address";
                case ENOMEM -> "the kernel could not allocate the slot (or its dirty bitmap)";
                default -> null;
            };
            case "KVM_CREATE_VCPU" -> switch (e) {
                case EEXIST -> "a vcpu with this id already exists in the VM";
                case EINVAL -> "the id is at least KVM_CAP_MAX_VCPU_ID, or the VM has KVM_CAP_MAX_VCPUS vcpus";
                default -> null;
            };
            case "KVM_GET_DIRTY_LOG" -> switch (e) {
                case ENOENT -> "the slot does not exist or was not created with KVM_MEM_LOG_DIRTY_PAGES";
                case EINVAL -> "the slot id is out of range";
                case EFAULT -> "dirty_bitmap does not point at a writable buffer of one bit per page of the slot";
                default -> null;
            };
            case "KVM_CLEAR_DIRTY_LOG" -> switch (e) {
                case ENOENT -> "the slot does not exist or was not created with KVM_MEM_LOG_DIRTY_PAGES";
                case EINVAL -> "first_page must be a multiple of 64, num_pages a multiple of 64 unless the range "
                        + "ends at the slot end, the range inside the slot; KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 must "
                        + "be enabled on the VM";
                default -> null;
            };
            case "KVM_GET_SUPPORTED_CPUID", "KVM_GET_CPUID2" -> e == Errno.E2BIG
                    ? "nent is smaller than the number of entries; retry with a larger kvm_cpuid2" : null;
            case "KVM_SET_CPUID2" -> switch (e) {
                case E2BIG -> "nent is above KVM_MAX_CPUID_ENTRIES (" + KvmApi.KVM_MAX_CPUID_ENTRIES + ")";
                case EINVAL -> "the entries are inconsistent, or the vcpu already ran and the table differs "
                        + "(CPUID is frozen after the first KVM_RUN)";
                default -> null;
            };
            case "KVM_GET_MSR_INDEX_LIST" -> e == Errno.E2BIG
                    ? "nmsrs is smaller than the number of MSRs; the kernel wrote the number needed into nmsrs" : null;
            case "KVM_SET_SREGS" -> e == Errno.EINVAL
                    ? "invalid system state: e.g. CR0.PG without CR0.PE, EFER.LME with CR0.PG but no CR4.PAE, "
                    + "EFER.LMA not matching, reserved CR0/CR4/EFER bits, or apic_base invalid" : null;
            case "KVM_INTERRUPT" -> switch (e) {
                case EEXIST -> "an ExtINT is already pending (split irqchip); run until it is taken";
                case ENXIO -> "the VM has an in-kernel PIC; use KVM_IRQ_LINE instead";
                case EINVAL -> "irq is not below 256";
                default -> null;
            };
            case "KVM_SET_IDENTITY_MAP_ADDR" -> e == Errno.EEXIST
                    ? "it must be set before the first vcpu is created" : null;
            case "KVM_SET_TSS_ADDR" -> e == Errno.EINVAL
                    ? "the three pages must lie below 4 GiB" : null;
            case "KVM_ENABLE_CAP" -> e == Errno.EINVAL
                    ? "the capability cannot be enabled on this fd, is unknown, or its args/flags are invalid" : null;
            case "KVM_SET_GUEST_DEBUG" -> e == Errno.EINVAL
                    ? "the control bits ask for something this host does not support" : null;
            case "KVM_SET_MP_STATE" -> e == Errno.EINVAL
                    ? "the state is not valid for this vcpu now" : null;
            case "KVM_RUN" -> switch (e) {
                case EFAULT -> "the guest touched memory whose userspace backing is gone (a slot's memory was "
                        + "unmapped or freed while the slot existed)";
                case ENOEXEC -> "the vcpu cannot run: invalid guest state or the vcpu was never set up";
                case EINVAL -> "invalid vcpu state for entry (check sregs and the CPUID table)";
                case ENOMEM -> "the kernel ran out of memory";
                default -> null;
            };
            default -> null;
        };
        if (specific != null) {
            return specific;
        }
        return switch (e) {
            case ENOTTY -> "this fd does not accept this ioctl (wrong kind of fd, or this kernel lacks it)";
            case EBADF -> "the fd is not open";
            case EFAULT -> "the argument pointer is not readable/writable memory of the struct's size";
            case EINVAL -> "an argument is invalid for this ioctl";
            case ENOMEM -> "the kernel ran out of memory";
            case EINTR -> "interrupted by a signal; retry";
            case E2BIG -> "the argument's count is too small or too large";
            case EPERM, EACCES -> "not permitted for this process";
            default -> "see Documentation/virt/kvm/api.rst for this ioctl";
        };
    }
}
