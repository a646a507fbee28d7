package io.jkvm.abi;

/**
 * {@code kvm_cpuid_entry2.flags} bits. The first name keeps the kernel's misspelling ("SIGNIFCANT"): it is the
 * macro name VMMs compile against.
 */
public final class CpuidFlags {
    private CpuidFlags() {
    }

    /** The entry applies only to its {@code index} (ECX subleaf); otherwise it applies to every subleaf. */
    public static final int KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1 << 0;

    /** Obsolete: stateful CPUID function 2 of old CPUs. */
    public static final int KVM_CPUID_FLAG_STATEFUL_FUNC = 1 << 1;

    /** Obsolete: with {@link #KVM_CPUID_FLAG_STATEFUL_FUNC}, the entry read next. */
    public static final int KVM_CPUID_FLAG_STATE_READ_NEXT = 1 << 2;
}
