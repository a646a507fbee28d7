package io.jkvm.runtime.vmm;

import java.util.Map;

/**
 * The keys of backend statistics ({@code Vcpu.statistics()}, shown by {@code jkvm run --stats}) that the VMM gives a
 * meaning to. Values are {@link Number}s, {@link Boolean}s or {@link String}s; keys are stable snake_case names,
 * shown in map order; any other key is printed as is.
 */
public interface BackendStatistics {
    /** Guest instructions retired (exact, or as counted by the backend). */
    String GUEST_INSTRUCTIONS = "guest_instructions";
    /** Nanoseconds from the first {@code KVM_RUN} until the first guest instruction retired, if measured. */
    String FIRST_INSTRUCTION_NANOS = "first_instruction_nanos";
    /** Translation units (blocks/regions) compiled. */
    String BLOCKS_TRANSLATED = "blocks_translated";
    /** Nanoseconds spent translating. */
    String TRANSLATION_NANOS = "translation_nanos";
    /** Fraction of block lookups served without translating, 0..1. */
    String CACHE_HIT_RATE = "cache_hit_rate";

    /** A snapshot of the backend's counters for this vcpu. */
    Map<String, Object> statistics();
}
