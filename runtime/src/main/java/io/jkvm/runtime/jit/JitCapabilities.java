package io.jkvm.runtime.jit;

import io.jkvm.abi.Capability;

import java.util.EnumMap;
import java.util.Map;

/**
 * What {@code KVM_CHECK_EXTENSION} answers on the JIT backend: exactly the capabilities it implements, with the
 * values KVM gives them.
 */
final class JitCapabilities {
    static final int MAX_VCPUS = 64;
    static final int MEMORY_SLOTS = 256;
    /** {@code KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET}. */
    static final int MANUAL_DIRTY_LOG_FLAGS = 3;
    /** {@code KVM_MSR_EXIT_REASON_INVAL | UNKNOWN | FILTER}. */
    static final int USER_SPACE_MSR_REASONS = 7;

    private static final Map<Capability, Integer> VALUES = new EnumMap<>(Capability.class);

    static {
        for (Capability c : new Capability[]{Capability.HLT, Capability.USER_MEMORY, Capability.SET_TSS_ADDR,
                Capability.EXT_CPUID, Capability.MP_STATE, Capability.SYNC_MMU, Capability.SET_GUEST_DEBUG,
                Capability.SET_IDENTITY_MAP_ADDR, Capability.READONLY_MEM, Capability.IMMEDIATE_EXIT,
                Capability.JKVM_CPUID_EXIT, Capability.JKVM_INSTRUCTION_COUNT}) {
            VALUES.put(c, 1);
        }
        VALUES.put(Capability.NR_VCPUS, Math.min(MAX_VCPUS, Runtime.getRuntime().availableProcessors()));
        VALUES.put(Capability.MAX_VCPUS, MAX_VCPUS);
        VALUES.put(Capability.MAX_VCPU_ID, MAX_VCPUS);
        VALUES.put(Capability.NR_MEMSLOTS, MEMORY_SLOTS);
        VALUES.put(Capability.MANUAL_DIRTY_LOG_PROTECT2, MANUAL_DIRTY_LOG_FLAGS);
        VALUES.put(Capability.X86_USER_SPACE_MSR, 1);
        // Bit 12: KVM_HC_MAP_GPA_RANGE, the one hypercall KVM forwards to userspace; jkvm forwards any enabled nr.
        VALUES.put(Capability.EXIT_HYPERCALL, 1 << 12);
    }

    private JitCapabilities() {
    }

    static int check(int number) {
        Capability c = Capability.of(number);
        return c == null ? 0 : VALUES.getOrDefault(c, 0);
    }
}
