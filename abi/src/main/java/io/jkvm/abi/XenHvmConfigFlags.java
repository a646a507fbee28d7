package io.jkvm.abi;

/**
 * {@code kvm_xen_hvm_config.flags} bits, and the feature bits {@code KVM_CHECK_EXTENSION(KVM_CAP_XEN_HVM)} returns.
 */
public final class XenHvmConfigFlags {
    private XenHvmConfigFlags() {
    }

    /** Writes to {@code msr} copy a hypercall page from the blob (the only flag of the original API). */
    public static final int KVM_XEN_HVM_CONFIG_HYPERCALL_MSR = 1 << 0;

    /** Xen hypercalls exit to userspace as {@code KVM_EXIT_XEN}. */
    public static final int KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL = 1 << 1;

    public static final int KVM_XEN_HVM_CONFIG_SHARED_INFO = 1 << 2;
    public static final int KVM_XEN_HVM_CONFIG_RUNSTATE = 1 << 3;
    public static final int KVM_XEN_HVM_CONFIG_EVTCHN_2LEVEL = 1 << 4;
    public static final int KVM_XEN_HVM_CONFIG_EVTCHN_SEND = 1 << 5;
}
