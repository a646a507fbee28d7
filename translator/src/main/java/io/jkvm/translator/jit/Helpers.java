package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;

import java.util.EnumMap;
import java.util.Map;

/** The table of instructions implemented as {@link HelperOp}s, filled by the op families at class init. */
public final class Helpers {
    private static final Map<Mnemonic, HelperOp> OPS = new EnumMap<>(Mnemonic.class);
    private static final Map<Mnemonic, Boolean> ENDS_REGION = new EnumMap<>(Mnemonic.class);

    static {
        SystemOps.register();
    }

    private Helpers() {
    }

    /** Registers {@code op} for {@code m}; {@code endsRegion} for ops that change control flow or CPU mode. */
    static void register(Mnemonic m, boolean endsRegion, HelperOp op) {
        OPS.put(m, op);
        ENDS_REGION.put(m, endsRegion);
    }

    static HelperOp forMnemonic(Mnemonic m) {
        return OPS.get(m);
    }

    static boolean endsRegion(Mnemonic m) {
        return ENDS_REGION.getOrDefault(m, true);
    }

    /** Entry point from generated code and from the single-step path. */
    public static int execute(CpuState cpu, MemoryPort mem, Instruction insn) {
        HelperOp op = OPS.get(insn.mnemonic());
        if (op == null) {
            throw GuestException.ud("no helper for " + insn.mnemonic());
        }
        try {
            return op.execute(cpu, mem, insn);
        } catch (GuestException e) {
            // Helpers access memory by linear address only; a non-canonical address of an operand addressed through
            // SS (RSP/RBP base) is #SS(0) on the CPU, not #GP(0).
            var m = insn.memoryOperand();
            if (e.isNonCanonical() && m != null && m.segment() == io.jkvm.translator.decoder.Segment.SS) {
                throw GuestException.stackNonCanonical(e.address());
            }
            throw e;
        }
    }
}
