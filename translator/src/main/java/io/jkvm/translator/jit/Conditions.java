package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.Flags;
import org.objectweb.asm.Label;

import static org.objectweb.asm.Opcodes.*;

/**
 * Condition codes as JVM comparisons. When the flag producer of the current block is known at translation time
 * (CMP/SUB, TEST/AND/OR/XOR, ADD, INC/DEC), the condition becomes a direct comparison of the lazy operands, which C2
 * compiles to a single cmp/jcc, and the lazy state it leaves behind is dead. Otherwise {@link Flags#condition} decides.
 *
 * <p>Condition numbering is the x86 encoding: O NO B AE E NE BE A S NS P NP L GE LE G.
 */
final class Conditions {
    private static final int O = 0, B = 2, E = 4, BE = 6, S = 8, P = 10, L = 12, LE = 14;

    private Conditions() {
    }

    static void jumpIf(Gen g, int cc, Label target) {
        int op = g.knownCcOp;
        int base = cc & ~1;
        boolean negate = (cc & 1) != 0;
        if (op >= 0) {
            int kind = Flags.kind(op);
            int size = Flags.size(op);
            if (kind == Flags.SUB && base != O && base != P) {
                sub(g, base, negate, size, target);
                return;
            }
            if (kind == Flags.LOGIC && base != P) {
                logic(g, base, negate, size, target);
                return;
            }
            if ((base == E || base == S) && kind != Flags.EFLAGS) {
                resultTest(g, base, negate, size, target);
                return;
            }
        }
        g.iconst(cc);
        g.mv.visitVarInsn(ILOAD, Gen.L_CCOP);
        g.lload(Gen.L_CCDST);
        g.lload(Gen.L_CCSRC);
        g.lload(Gen.L_CCSRC2);
        g.mv.visitMethodInsn(INVOKESTATIC, Gen.FLAGS, "condition", "(IIJJJ)Z", false);
        g.mv.visitJumpInsn(IFNE, target);
    }

    /** After CMP a,b / SUB: dst = a - b, src = b, so a = dst + src. */
    private static void sub(Gen g, int base, boolean negate, int size, Label target) {
        switch (base) {
            case E -> resultTest(g, E, negate, size, target);
            case S -> resultTest(g, S, negate, size, target);
            case B, BE -> {
                // unsigned a < b (B) or a <= b (BE)
                pushA(g, size, false);
                g.lload(Gen.L_CCSRC);
                g.mask(size);
                if (size == 8) {
                    flipSign(g);
                }
                g.mv.visitInsn(LCMP);
                g.mv.visitJumpInsn(jump(base == B ? IFLT : IFLE, negate), target);
            }
            case L, LE -> {
                pushA(g, size, true);
                g.lload(Gen.L_CCSRC);
                g.sext(size);
                g.mv.visitInsn(LCMP);
                g.mv.visitJumpInsn(jump(base == L ? IFLT : IFLE, negate), target);
            }
            default -> throw new IllegalStateException();
        }
    }

    /** Pushes the first CMP operand a = dst + src, masked (unsigned) or sign-extended, sign-flipped for 64-bit. */
    private static void pushA(Gen g, int size, boolean signed) {
        g.lload(Gen.L_CCDST);
        g.lload(Gen.L_CCSRC);
        g.mv.visitInsn(LADD);
        if (signed) {
            g.sext(size);
        } else {
            g.mask(size);
            if (size == 8) {
                flipSign(g);
            }
        }
    }

    /** Adds Long.MIN_VALUE so that a signed compare orders the values as unsigned. */
    private static void flipSign(Gen g) {
        g.lconst(Long.MIN_VALUE);
        g.mv.visitInsn(LXOR);
    }

    /** After AND/OR/XOR/TEST: CF = OF = 0. */
    private static void logic(Gen g, int base, boolean negate, int size, Label target) {
        switch (base) {
            case O, B -> {
                // never true; the negated form always jumps
                if (negate) {
                    g.mv.visitJumpInsn(GOTO, target);
                }
            }
            case E, BE -> resultTest(g, E, negate, size, target);
            case S, L -> resultTest(g, S, negate, size, target);
            case LE -> {
                g.lload(Gen.L_CCDST);
                g.sext(size);
                g.lconst(0);
                g.mv.visitInsn(LCMP);
                g.mv.visitJumpInsn(jump(IFLE, negate), target);
            }
            default -> throw new IllegalStateException();
        }
    }

    /** ZF or SF straight from the result. */
    private static void resultTest(Gen g, int base, boolean negate, int size, Label target) {
        g.lload(Gen.L_CCDST);
        if (base == E) {
            g.mask(size);
            g.lconst(0);
            g.mv.visitInsn(LCMP);
            g.mv.visitJumpInsn(negate ? IFNE : IFEQ, target);
        } else {
            g.sext(size);
            g.lconst(0);
            g.mv.visitInsn(LCMP);
            g.mv.visitJumpInsn(negate ? IFGE : IFLT, target);
        }
    }

    private static int jump(int opcode, boolean negate) {
        if (!negate) {
            return opcode;
        }
        return switch (opcode) {
            case IFLT -> IFGE;
            case IFLE -> IFGT;
            case IFEQ -> IFNE;
            case IFNE -> IFEQ;
            case IFGE -> IFLT;
            case IFGT -> IFLE;
            default -> throw new IllegalArgumentException();
        };
    }
}
