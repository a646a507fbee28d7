package io.jkvm.abi;

/** {@code kvm_run.internal.suberror} values of a {@code KVM_EXIT_INTERNAL_ERROR}, and the emulation-failure flags. */
public final class InternalErrorSuberror {
    private InternalErrorSuberror() {
    }

    /** KVM's instruction emulator could not emulate the instruction. */
    public static final int KVM_INTERNAL_ERROR_EMULATION = 1;

    /** An exception occurred while delivering another one and KVM could not resolve it. */
    public static final int KVM_INTERNAL_ERROR_SIMUL_EX = 2;

    /** A VM exit happened while an event was being delivered through the IDT. */
    public static final int KVM_INTERNAL_ERROR_DELIVERY_EV = 3;

    /** The hardware reported an exit reason KVM does not handle; {@code data[0]} holds it. */
    public static final int KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON = 4;

    /** In {@code emulation_failure.flags}: {@code insn_size} and {@code insn_bytes} are valid. */
    public static final long KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES = 1L << 0;
}
