package io.jkvm.abi;

import static io.jkvm.abi.Ioctl.Macro.IO;
import static io.jkvm.abi.Ioctl.Macro.IOR;
import static io.jkvm.abi.Ioctl.Macro.IOW;
import static io.jkvm.abi.Ioctl.Macro.IOWR;
import static io.jkvm.abi.Ioctl.Target.SYSTEM;
import static io.jkvm.abi.Ioctl.Target.VCPU;
import static io.jkvm.abi.Ioctl.Target.VM;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The KVM ioctls jkvm uses, each named as its {@code <linux/kvm.h>} macro. The request numbers are computed as
 * {@code _IO/_IOR/_IOW/_IOWR(KVMIO, nr, type)} compute them (asm-generic/ioctl.h), with {@code sizeof(type)} taken
 * from the argument struct's {@code LAYOUT}; nothing is pasted, so a wrong layout size shows up as a wrong ioctl
 * number in the header check as well.
 */
public enum Ioctl {
    // On /dev/kvm.
    KVM_GET_API_VERSION(SYSTEM, 0x00),
    KVM_CREATE_VM(SYSTEM, 0x01),
    KVM_GET_MSR_INDEX_LIST(SYSTEM, IOWR, 0x02, KvmMsrList.LAYOUT),
    /** On /dev/kvm, and on a VM fd with {@code KVM_CAP_CHECK_EXTENSION_VM}. */
    KVM_CHECK_EXTENSION(EnumSet.of(SYSTEM, VM), IO, 0x03, null),
    KVM_GET_VCPU_MMAP_SIZE(SYSTEM, 0x04),
    KVM_GET_SUPPORTED_CPUID(SYSTEM, IOWR, 0x05, KvmCpuid2.LAYOUT),
    KVM_GET_EMULATED_CPUID(SYSTEM, IOWR, 0x09, KvmCpuid2.LAYOUT),
    KVM_GET_MSR_FEATURE_INDEX_LIST(SYSTEM, IOWR, 0x0a, KvmMsrList.LAYOUT),

    // On a VM fd.
    /** The argument (not a pointer) is the vcpu id. */
    KVM_CREATE_VCPU(VM, 0x41),
    KVM_GET_DIRTY_LOG(VM, IOW, 0x42, KvmDirtyLog.LAYOUT),
    KVM_SET_USER_MEMORY_REGION(VM, IOW, 0x46, KvmUserspaceMemoryRegion.LAYOUT),
    /** The argument (not a pointer) is the guest-physical address of three free pages for VMX real mode. */
    KVM_SET_TSS_ADDR(VM, 0x47),
    /** Declared with {@code __u64}: a pointer to the guest-physical address of one free page. */
    KVM_SET_IDENTITY_MAP_ADDR(VM, IOW, 0x48, JAVA_LONG),
    KVM_CREATE_IRQCHIP(VM, 0x60),
    KVM_IRQ_LINE(VM, IOW, 0x61, KvmIrqLevel.LAYOUT),
    KVM_IRQ_LINE_STATUS(VM, IOWR, 0x67, KvmIrqLevel.LAYOUT),
    KVM_XEN_HVM_CONFIG(VM, IOW, 0x7a, KvmXenHvmConfig.LAYOUT),
    KVM_CLEAR_DIRTY_LOG(VM, IOWR, 0xc0, KvmClearDirtyLog.LAYOUT),
    KVM_X86_SET_MSR_FILTER(VM, IOW, 0xc6, KvmMsrFilter.LAYOUT),
    /** On a vcpu fd; on a VM fd with {@code KVM_CAP_ENABLE_CAP_VM}. */
    KVM_ENABLE_CAP(EnumSet.of(VM, VCPU), IOW, 0xa3, KvmEnableCap.LAYOUT),

    // On a vcpu fd.
    KVM_RUN(VCPU, 0x80),
    KVM_GET_REGS(VCPU, IOR, 0x81, KvmRegs.LAYOUT),
    KVM_SET_REGS(VCPU, IOW, 0x82, KvmRegs.LAYOUT),
    KVM_GET_SREGS(VCPU, IOR, 0x83, KvmSregs.LAYOUT),
    KVM_SET_SREGS(VCPU, IOW, 0x84, KvmSregs.LAYOUT),
    KVM_TRANSLATE(VCPU, IOWR, 0x85, KvmTranslation.LAYOUT),
    KVM_INTERRUPT(VCPU, IOW, 0x86, KvmInterrupt.LAYOUT),
    KVM_GET_MSRS(VCPU, IOWR, 0x88, KvmMsrs.LAYOUT),
    KVM_SET_MSRS(VCPU, IOW, 0x89, KvmMsrs.LAYOUT),
    KVM_GET_FPU(VCPU, IOR, 0x8c, KvmFpu.LAYOUT),
    KVM_SET_FPU(VCPU, IOW, 0x8d, KvmFpu.LAYOUT),
    KVM_SET_CPUID2(VCPU, IOW, 0x90, KvmCpuid2.LAYOUT),
    KVM_GET_CPUID2(VCPU, IOWR, 0x91, KvmCpuid2.LAYOUT),
    KVM_GET_MP_STATE(VCPU, IOR, 0x98, KvmMpState.LAYOUT),
    KVM_SET_MP_STATE(VCPU, IOW, 0x99, KvmMpState.LAYOUT),
    KVM_NMI(VCPU, 0x9a),
    KVM_SET_GUEST_DEBUG(VCPU, IOW, 0x9b, KvmGuestDebug.LAYOUT),
    /** The argument (not a pointer) is the guest TSC frequency in kHz. */
    KVM_SET_TSC_KHZ(VCPU, 0xa2),
    /** Returns the guest TSC frequency in kHz. */
    KVM_GET_TSC_KHZ(VCPU, 0xa3);

    // asm-generic/ioctl.h, as x86 uses it.
    public static final int _IOC_NRBITS = 8;
    public static final int _IOC_TYPEBITS = 8;
    public static final int _IOC_SIZEBITS = 14;
    public static final int _IOC_DIRBITS = 2;
    public static final int _IOC_NRSHIFT = 0;
    public static final int _IOC_TYPESHIFT = _IOC_NRSHIFT + _IOC_NRBITS;
    public static final int _IOC_SIZESHIFT = _IOC_TYPESHIFT + _IOC_TYPEBITS;
    public static final int _IOC_DIRSHIFT = _IOC_SIZESHIFT + _IOC_SIZEBITS;
    public static final int _IOC_NONE = 0;
    public static final int _IOC_WRITE = 1;
    public static final int _IOC_READ = 2;

    /** The macro an ioctl is declared with, i.e. its {@code _IOC} direction: who copies the argument. */
    public enum Macro {
        /** {@code _IO}: no argument struct (the argument, if any, is passed by value). */
        IO(0),
        /** {@code _IOR}: the kernel writes the struct ("read" from the caller's point of view). */
        IOR(2),
        /** {@code _IOW}: the kernel reads the struct. */
        IOW(1),
        /** {@code _IOWR}: both. */
        IOWR(3);

        private final int direction;

        Macro(int direction) {
            this.direction = direction;
        }

        /** The {@code _IOC_NONE/_IOC_READ/_IOC_WRITE} bits. */
        public int direction() {
            return direction;
        }
    }

    /** Which kind of file descriptor an ioctl is issued on. */
    public enum Target {
        /** The {@code /dev/kvm} system fd. */
        SYSTEM,
        /** A fd from {@code KVM_CREATE_VM}. */
        VM,
        /** A fd from {@code KVM_CREATE_VCPU}. */
        VCPU
    }

    private static final Map<Long, Ioctl> BY_NUMBER = new HashMap<>();

    static {
        for (Ioctl i : values()) {
            BY_NUMBER.put(i.number, i);
        }
    }

    private final Set<Target> targets;
    private final Macro macro;
    private final int nr;
    private final MemoryLayout argument;
    private final long number;

    /** {@code _IO(KVMIO, nr)}. */
    Ioctl(Target target, int nr) {
        this(EnumSet.of(target), IO, nr, null);
    }

    /** {@code macro(KVMIO, nr, argument)}. */
    Ioctl(Target target, Macro macro, int nr, MemoryLayout argument) {
        this(EnumSet.of(target), macro, nr, argument);
    }

    Ioctl(Set<Target> targets, Macro macro, int nr, MemoryLayout argument) {
        if ((macro == IO) != (argument == null)) {
            throw new IllegalArgumentException("_IO takes no argument type; _IOR/_IOW/_IOWR need one");
        }
        this.targets = Collections.unmodifiableSet(targets);
        this.macro = macro;
        this.nr = nr;
        this.argument = argument;
        this.number = ioc(macro.direction(), KvmApi.KVMIO, nr, argument == null ? 0 : argument.byteSize());
    }

    /**
     * {@code _IOC(dir, type, nr, size)}: the request number as the kernel encodes it, an unsigned 32-bit value in a
     * {@code long} (pass it to {@code ioctl(2)} as {@code unsigned long}).
     */
    public static long ioc(int direction, int type, int nr, long size) {
        if ((direction & ~((1 << _IOC_DIRBITS) - 1)) != 0 || (type & ~0xFF) != 0 || (nr & ~0xFF) != 0
                || size < 0 || size >= 1L << _IOC_SIZEBITS) {
            throw new IllegalArgumentException("cannot encode ioctl dir=" + direction + " type=" + type + " nr=" + nr
                    + " size=" + size + ": dir has 2 bits, type and nr 8, size 14 (argument structs under 16 KiB)");
        }
        return (long) direction << _IOC_DIRSHIFT | size << _IOC_SIZESHIFT
                | (long) type << _IOC_TYPESHIFT | (long) nr << _IOC_NRSHIFT;
    }

    /** The request number passed to {@code ioctl(2)}. */
    public long number() {
        return number;
    }

    /** The C macro name; the same as {@link #name()}. */
    public String cName() {
        return name();
    }

    /** The macro the ioctl is declared with, which gives its direction. */
    public Macro macro() {
        return macro;
    }

    /** The ioctl's number within {@code KVMIO}. */
    public int nr() {
        return nr;
    }

    /** The layout of the argument the pointer points at; empty for {@code _IO} ioctls (argument by value or none). */
    public Optional<MemoryLayout> argument() {
        return Optional.ofNullable(argument);
    }

    /** The fds this ioctl is valid on; KVM answers {@code ENOTTY} on others. */
    public Set<Target> targets() {
        return targets;
    }

    /** The ioctl with this request number, or {@code null} if jkvm does not use it. */
    public static Ioctl of(long number) {
        return BY_NUMBER.get(number);
    }
}
