package io.jkvm.abi;

import java.util.Arrays;

/**
 * {@code kvm_run.exit_reason}: why {@code KVM_RUN} returned. Every {@code KVM_EXIT_*} exit reason of
 * {@code <linux/kvm.h>} (Linux 6.1 uapi) with its number, plus two jkvm extensions. Constant names drop the
 * {@code KVM_EXIT_} prefix; {@link #cName()} gives the C macro name.
 *
 * <p>An exit reason this enum does not know (from a newer kernel) maps to {@link #UNRECOGNIZED}, never to
 * {@code null} and never to an exception, so run loops can {@code switch} on {@link KvmRun#exit()} and still report
 * the raw number from {@link KvmRun#exitReason()}.
 */
public enum ExitReason {
    /** The hardware exit had no KVM meaning; {@code hw.hardware_exit_reason} holds the raw reason. */
    UNKNOWN(0),
    /** A guest exception KVM does not handle itself; see {@code ex}. */
    EXCEPTION(1),
    /** Port IO; see {@link KvmRun#io()}. */
    IO(2),
    /** A hypercall forwarded to userspace ({@code KVM_CAP_EXIT_HYPERCALL}); see {@link KvmRun#hypercall()}. */
    HYPERCALL(3),
    /** A debug event requested with {@code KVM_SET_GUEST_DEBUG}; see {@link KvmRun#debug()}. */
    DEBUG(4),
    /** HLT without an in-kernel local APIC; RIP is past the HLT. */
    HLT(5),
    /** An access no RAM slot backs, or a write to a read-only slot; see {@link KvmRun#mmio()}. */
    MMIO(6),
    /** The guest can take an interrupt now (asked for with {@code request_interrupt_window}). */
    IRQ_WINDOW_OPEN(7),
    /** Triple fault or shutdown; the vcpu must be reset before it runs again. */
    SHUTDOWN(8),
    /** VM entry failed (invalid guest state); see {@link KvmRun#failEntry()}. */
    FAIL_ENTRY(9),
    /** A signal interrupted {@code KVM_RUN}, or {@code immediate_exit} was set. */
    INTR(10),
    SET_TPR(11),
    TPR_ACCESS(12),
    S390_SIEIC(13),
    S390_RESET(14),
    /** Deprecated (old PowerPC 440). */
    DCR(15),
    NMI(16),
    /** KVM could not continue; see {@link KvmRun#internal()}. */
    INTERNAL_ERROR(17),
    OSI(18),
    PAPR_HCALL(19),
    S390_UCONTROL(20),
    WATCHDOG(21),
    S390_TSCH(22),
    EPR(23),
    /** Shutdown, reset or crash requested through firmware; see {@link KvmRun#systemEvent()}. */
    SYSTEM_EVENT(24),
    S390_STSI(25),
    IOAPIC_EOI(26),
    HYPERV(27),
    ARM_NISV(28),
    /** RDMSR forwarded to userspace ({@code KVM_CAP_X86_USER_SPACE_MSR}); see {@link KvmRun#msr()}. */
    X86_RDMSR(29),
    /** WRMSR forwarded to userspace; see {@link KvmRun#msr()}. */
    X86_WRMSR(30),
    DIRTY_RING_FULL(31),
    AP_RESET_HOLD(32),
    X86_BUS_LOCK(33),
    XEN(34),
    RISCV_SBI(35),
    RISCV_CSR(36),
    NOTIFY(37),

    /**
     * jkvm extension {@code JKVM_EXIT_CPUID}: CPUID exits to userspace (enabled with
     * {@link Capability#JKVM_CPUID_EXIT}). The leaf is in {@link KvmRun#cpuid()}; userspace writes EAX..EDX there
     * before the next {@code KVM_RUN}, which completes the instruction.
     */
    @JkvmExtension
    JKVM_CPUID(0x4A4B0001, "JKVM_EXIT_CPUID"),
    /**
     * jkvm extension {@code JKVM_EXIT_BUDGET}: the retired-instruction budget set with
     * {@link Capability#JKVM_INSTRUCTION_COUNT} ran out; RIP is at the next instruction to execute.
     */
    @JkvmExtension
    JKVM_BUDGET(0x4A4B0002, "JKVM_EXIT_BUDGET"),

    /**
     * Not a KVM value: what {@link #of(int)} returns for a number no other constant has. {@link #number()} is -1;
     * read the raw value with {@link KvmRun#exitReason()}.
     */
    UNRECOGNIZED(-1, null);

    /** The Linux reasons indexed by number: they are dense from 0, and the run loop looks one up per exit. */
    private static final ExitReason[] BY_NUMBER;

    static {
        ExitReason[] linux = Arrays.stream(values())
                .filter(r -> r != UNRECOGNIZED && !r.jkvmExtension())
                .toArray(ExitReason[]::new);
        int max = Arrays.stream(linux).mapToInt(ExitReason::number).max().orElse(0);
        BY_NUMBER = new ExitReason[max + 1];
        for (ExitReason r : linux) {
            BY_NUMBER[r.number] = r;
        }
    }

    private final int number;
    private final String cName;

    ExitReason(int number) {
        this.number = number;
        this.cName = "KVM_EXIT_" + name();
    }

    ExitReason(int number, String cName) {
        this.number = number;
        this.cName = cName;
    }

    /** The value of {@code kvm_run.exit_reason}; -1 for {@link #UNRECOGNIZED}. */
    public int number() {
        return number;
    }

    /** The C macro name ({@code KVM_EXIT_IO}, {@code JKVM_EXIT_CPUID}); {@code null} for {@link #UNRECOGNIZED}. */
    public String cName() {
        return cName;
    }

    /** True for the reasons jkvm adds ({@code JKVM_EXIT_*}); a Linux host never reports them. */
    public boolean jkvmExtension() {
        return this == JKVM_CPUID || this == JKVM_BUDGET;
    }

    /** The reason with this raw number, or {@link #UNRECOGNIZED} when no constant has it. */
    public static ExitReason of(int number) {
        if (number >= 0 && number < BY_NUMBER.length && BY_NUMBER[number] != null) {
            return BY_NUMBER[number];
        }
        if (number == JKVM_CPUID.number) {
            return JKVM_CPUID;
        }
        if (number == JKVM_BUDGET.number) {
            return JKVM_BUDGET;
        }
        return UNRECOGNIZED;
    }
}
