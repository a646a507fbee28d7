package io.jkvm.translator.jit.sys;

import io.jkvm.translator.jit.HelperOp;
import io.jkvm.translator.jit.Status;

/**
 * Registers every family of this package. Each op is wrapped once here so that a store which needs the run loop
 * (an MMIO write, a write into translated code; see {@code cpu.pendingExit}) ends the region after the
 * instruction, as the JIT does after its own stores.
 */
public final class SystemFamilies {
    private SystemFamilies() {
    }

    public static void register(OpTable table) {
        OpTable t = (m, endsRegion, op) -> table.add(m, endsRegion, stopOnPendingExit(op));
        FlagOps.register(t);
        IoOps.register(t);
        StringOps.register(t);
        CpuidOps.register(t);
        TimeStampCounter.register(t);
        MsrOps.register(t);
        HypercallOps.register(t);
        TrapOps.register(t);
        ControlRegisterOps.register(t);
        DescriptorTableOps.register(t);
        SegmentOps.register(t);
        SegmentQueryOps.register(t);
        FarTransfers.register(t);
        FastSystemCalls.register(t);
        StackOps.register(t);
        DataOps.register(t);
    }

    private static HelperOp stopOnPendingExit(HelperOp op) {
        return (cpu, mem, insn) -> {
            int status = op.execute(cpu, mem, insn);
            return status == Status.CONTINUE && cpu.pendingExit != 0 ? Status.END_BLOCK : status;
        };
    }
}
