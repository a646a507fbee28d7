package io.jkvm.translator.jit;

import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;

import java.util.EnumMap;
import java.util.Map;

/**
 * Which emitter translates each mnemonic: bytecode emitters from the op families first, else a call to the
 * mnemonic's {@link HelperOp}. A mnemonic with neither raises #UD in the guest.
 */
public final class Emitters {
    private static final Map<Mnemonic, Emitter> INLINE = new EnumMap<>(Mnemonic.class);
    private static final Map<Mnemonic, Emitter> HELPER = new EnumMap<>(Mnemonic.class);

    /** Mnemonics of the general-purpose families, whose inline emitters accept only GPR register operands. */
    private static final java.util.Set<Mnemonic> GPR_FAMILIES;

    static {
        IntegerOps.register(INLINE);
        ControlOps.register(INLINE);
        GPR_FAMILIES = java.util.EnumSet.copyOf(INLINE.keySet());
        io.jkvm.translator.jit.sse.SseOps.register(INLINE,
                new io.jkvm.translator.jit.sse.GenAccess(g -> g.mv, Gen.L_CPU, Gen.L_MEM));
    }

    private Emitters() {
    }

    /** The emitter for {@code insn}, or null when jkvm does not execute it (#UD). */
    public static Emitter forInstruction(Instruction insn) {
        // Having an emitter is what makes an instruction executable; the decoder's DECODE_ONLY attribute only
        // describes the default (e.g. the x87 control instructions jkvm does run are in the x87 family).
        Mnemonic m = insn.mnemonic();
        Emitter e = INLINE.get(m);
        if (e != null && (!GPR_FAMILIES.contains(m) || inlineApplies(insn))) {
            return e;
        }
        if (Helpers.forMnemonic(m) != null) {
            return HELPER.computeIfAbsent(m, k -> new HelperEmitter(Helpers.endsRegion(k)));
        }
        return e;
    }

    /** Whether {@code insn} runs as a {@link HelperOp} (which may read or write any state, and fault). */
    static boolean isHelper(Instruction insn) {
        return forInstruction(insn) instanceof HelperEmitter;
    }

    /** Inline emitters handle GPR/memory/immediate forms; other register classes go to the helper. */
    private static boolean inlineApplies(Instruction insn) {
        for (var o : insn.operands()) {
            if (o instanceof io.jkvm.translator.decoder.Operand.Reg r
                    && r.regClass() != io.jkvm.translator.decoder.RegClass.GPR
                    && r.regClass() != io.jkvm.translator.decoder.RegClass.GPR8_HIGH) {
                return false;
            }
        }
        return true;
    }
}
