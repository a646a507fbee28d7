package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;

/**
 * A translated region of guest code: one hidden class whose {@link #execute} runs guest instructions from the
 * region's entry until control leaves the region, an exit is needed, or a guest exception is raised.
 */
public interface CompiledRegion {
    /**
     * Runs the region. On return, {@code cpu} holds the exact architectural state at the instruction boundary where
     * it stopped (RIP included).
     *
     * @return a {@link Status} code
     */
    int execute(CpuState cpu, MemoryPort mem);
}
