package io.jkvm.translator.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * What the VMM configured for a vcpu that instruction semantics consult: the CPUID table ({@code KVM_SET_CPUID2}),
 * which exits to userspace are enabled ({@code KVM_ENABLE_CAP}), and the time source. Filled by the runtime.
 */
public final class VcpuConfig {
    /** One CPUID entry as in {@code struct kvm_cpuid_entry2}. */
    public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
        /** {@code KVM_CPUID_FLAG_SIGNIFCANT_INDEX}: the entry applies only to its index (subleaf). */
        public static final int SIGNIFICANT_INDEX = 1;

        public boolean matches(int function, int index) {
            return this.function == function && ((flags & SIGNIFICANT_INDEX) == 0 || this.index == index);
        }
    }

    /** The guest's CPUID table; replaced wholesale by {@code KVM_SET_CPUID2}. */
    public volatile List<CpuidEntry> cpuid = List.of();
    /** jkvm extension {@code JKVM_CPUID_EXIT}: every CPUID exits to userspace. */
    public volatile boolean cpuidExit;
    /** {@code KVM_CAP_X86_USER_SPACE_MSR} reasons mask ({@code KVM_MSR_EXIT_REASON_*}): 0 = no MSR exits. */
    public volatile int userSpaceMsrReasons;
    /** {@code KVM_CAP_EXIT_HYPERCALL}: bit n set = hypercall number n exits to userspace. */
    public volatile long hypercallExitMask;
    /** Host nanoseconds at TSC 0 and the TSC frequency in kHz (RDTSC = elapsed time at this rate). */
    public volatile long tscEpochNanos = System.nanoTime();
    public volatile long tscKhz = 2_000_000;

    /**
     * The entry for exactly this function (and index, where significant), or null. KVM's fallback for leaves
     * the table lacks is instruction semantics and lives in {@code jit.sys.CpuidOps.lookup}.
     */
    public CpuidEntry findCpuid(int function, int index) {
        List<CpuidEntry> table = cpuid;
        for (CpuidEntry e : table) {
            if (e.matches(function, index)) {
                return e;
            }
        }
        return null;
    }

    public static List<CpuidEntry> copyOf(List<CpuidEntry> entries) {
        return List.copyOf(new ArrayList<>(entries));
    }
}
