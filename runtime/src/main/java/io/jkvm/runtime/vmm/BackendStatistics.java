package io.jkvm.runtime.vmm;

import java.util.Map;

/**
 * The hook through which a backend's vcpu reports its own counters to the VMM ({@code jkvm run --stats}): a vcpu
 * handle ({@code Vcpu.backendHandle()}) that implements this interface is asked for a snapshot after the run. Values
 * are {@link Number}s, {@link Boolean}s or {@link String}s; keys are stable snake_case names, shown in map order.
 * Keys with a meaning the VMM knows are the constants below; any other key is printed as is.
 *
 * <p>Temporary home: this belongs in {@code io.jkvm.runtime.spi} (e.g. a default {@code statistics()} on
 * {@code VcpuHandle} and {@code Vcpu.statistics()}); until the API has it, the runner checks for this interface.
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
