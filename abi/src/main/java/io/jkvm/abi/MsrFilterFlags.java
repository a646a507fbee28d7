package io.jkvm.abi;

/**
 * Flags of {@code KVM_X86_SET_MSR_FILTER}: {@code kvm_msr_filter.flags} (the default action for MSRs no range
 * covers) and {@code kvm_msr_filter_range.flags} (which accesses a set bitmap bit allows).
 */
public final class MsrFilterFlags {
    private MsrFilterFlags() {
    }

    /** Range: a set bit allows RDMSR. */
    public static final int KVM_MSR_FILTER_READ = 1 << 0;

    /** Range: a set bit allows WRMSR. */
    public static final int KVM_MSR_FILTER_WRITE = 1 << 1;

    /** Filter: MSRs outside every range are allowed. */
    public static final int KVM_MSR_FILTER_DEFAULT_ALLOW = 0 << 0;

    /** Filter: MSRs outside every range are denied (exit with {@code KVM_MSR_EXIT_REASON_FILTER} or #GP). */
    public static final int KVM_MSR_FILTER_DEFAULT_DENY = 1 << 0;
}
