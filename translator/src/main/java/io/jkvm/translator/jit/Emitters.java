package io.jkvm.translator.jit;

import io.jkvm.translator.decoder.Attribute;
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

    static {
        IntegerOps.register(INLINE);
        ControlOps.register(INLINE);
    }

    private Emitters() {
    }

    /** The emitter for {@code insn}, or null when jkvm does not execute it (#UD). */
    public static Emitter forInstruction(Instruction insn) {
        Mnemonic m = insn.mnemonic();
        if (m.is(Attribute.DECODE_ONLY)) {
            return null;
        }
        Emitter e = INLINE.get(m);
        if (e != null && inlineApplies(insn)) {
            return e;
        }
        if (Helpers.forMnemonic(m) != null) {
            return HELPER.computeIfAbsent(m, k -> new HelperEmitter(Helpers.endsRegion(k)));
        }
        return e;
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
