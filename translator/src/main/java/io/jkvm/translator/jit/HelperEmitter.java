package io.jkvm.translator.jit;

import io.jkvm.translator.decoder.Instruction;
import org.objectweb.asm.Label;
import org.objectweb.asm.Type;

import static org.objectweb.asm.Opcodes.*;

/**
 * Emits a call to a {@link HelperOp}: the region's register locals are written to the CPU state, the helper runs,
 * and the locals are reloaded, since the helper may read or change any register.
 */
final class HelperEmitter implements Emitter {
    private static final String HELPERS = Type.getInternalName(Helpers.class);
    private final boolean endsRegion;

    HelperEmitter(boolean endsRegion) {
        this.endsRegion = endsRegion;
    }

    @Override
    public Flow flow(Instruction insn) {
        return endsRegion ? Flow.END : Flow.NEXT;
    }

    @Override
    public void emit(Gen g, Instruction insn) {
        var mv = g.mv;
        g.region.syncOut(g, true);
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.lload(Gen.L_RIP);
        mv.visitFieldInsn(PUTFIELD, Gen.CPU, "rip", "J");
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.lload(Gen.L_ICOUNT);
        g.lconst(1);
        mv.visitInsn(LSUB);
        mv.visitFieldInsn(PUTFIELD, Gen.CPU, "instructions", "J");
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        mv.visitVarInsn(ALOAD, Gen.L_MEM);
        g.constant(insn, Type.getInternalName(Instruction.class));
        mv.visitMethodInsn(INVOKESTATIC, HELPERS, "execute",
                "(L" + Gen.CPU + ";L" + Gen.PORT + ";L" + Type.getInternalName(Instruction.class) + ";)I", false);
        mv.visitVarInsn(ISTORE, Gen.L_STATUS);
        g.region.syncIn(g);
        g.knownCcOp = -1;
        // Every register may have changed: all must be written back at the region's exits.
        g.writtenRegs = 0xffff;
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        mv.visitFieldInsn(GETFIELD, Gen.CPU, "rip", "J");
        g.lstore(Gen.L_NEXT);
        if (endsRegion) {
            mv.visitVarInsn(ILOAD, Gen.L_STATUS);
            g.region.exitWithStatus(g);
        } else {
            Label cont = new Label();
            mv.visitVarInsn(ILOAD, Gen.L_STATUS);
            mv.visitJumpInsn(IFEQ, cont);
            mv.visitVarInsn(ILOAD, Gen.L_STATUS);
            g.region.exitWithStatus(g);
            mv.visitLabel(cont);
        }
    }
}
