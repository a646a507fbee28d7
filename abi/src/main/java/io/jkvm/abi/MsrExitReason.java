package io.jkvm.abi;

/**
 * Why KVM hands an RDMSR/WRMSR to userspace: {@code kvm_run.msr.reason}, and the bits of the
 * {@code KVM_CAP_X86_USER_SPACE_MSR} argument that choose which cases exit.
 */
public final class MsrExitReason {
    private MsrExitReason() {
    }

    /** The access would #GP in KVM (e.g. invalid value). */
    public static final int KVM_MSR_EXIT_REASON_INVAL = 1 << 0;

    /** KVM does not know the MSR. */
    public static final int KVM_MSR_EXIT_REASON_UNKNOWN = 1 << 1;

    /** A {@code KVM_X86_SET_MSR_FILTER} filter denied the access. */
    public static final int KVM_MSR_EXIT_REASON_FILTER = 1 << 2;
}
