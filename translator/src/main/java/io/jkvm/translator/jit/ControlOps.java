package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.RegClass;
import org.objectweb.asm.Label;

import java.util.Map;

import static io.jkvm.translator.decoder.Mnemonic.*;
import static org.objectweb.asm.Opcodes.*;

/** Near branches, calls, returns, loops and the stack instructions. */
final class ControlOps {
    private ControlOps() {
    }

    static void register(Map<Mnemonic, Emitter> t) {
        t.put(JMP, new Emitter() {
            public void emit(Gen g, Instruction i) {
                if (i.operand(0) instanceof Operand.Rel r) {
                    g.jumpTo(r.target());
                } else {
                    g.load(0, i.operandSize());
                    g.wrapIp();
                    g.jumpIndirect();
                }
            }

            public Flow flow(Instruction i) {
                return i.operand(0) instanceof Operand.Rel ? Flow.JUMP : Flow.END;
            }
        });
        t.put(JCC, branch((g, i, taken) -> g.jumpIf(i.condition(), taken)));
        t.put(JCXZ, branch((g, i, taken) -> counterIsZero(g, i, taken)));
        t.put(JECXZ, branch((g, i, taken) -> counterIsZero(g, i, taken)));
        t.put(JRCXZ, branch((g, i, taken) -> counterIsZero(g, i, taken)));
        t.put(LOOP, branch((g, i, taken) -> loop(g, i, taken, -1)));
        t.put(LOOPE, branch((g, i, taken) -> loop(g, i, taken, 4)));
        t.put(LOOPNE, branch((g, i, taken) -> loop(g, i, taken, 5)));
        t.put(CALL, new Emitter() {
            public void emit(Gen g, Instruction i) {
                int size = i.operandSize();
                int target = g.temp();
                if (i.operand(0) instanceof Operand.Rel r) {
                    g.lconst(r.target());
                } else {
                    // The target is read before anything is pushed, so a faulting read leaves RSP intact.
                    g.load(0, size);
                    g.wrapIp();
                }
                g.lstore(target);
                g.lconst(i.nextAddress() & (size == 8 ? -1L : (1L << (size * 8)) - 1));
                g.push(size);
                g.lload(target);
                g.jumpIndirect();
            }

            public Flow flow(Instruction i) {
                return Flow.END;
            }
        });
        t.put(Mnemonic.RET, new Emitter() {
            public void emit(Gen g, Instruction i) {
                int size = i.operandSize();
                g.pop(size);
                if (!i.operands().isEmpty() && i.operand(0) instanceof Operand.Imm imm && imm.value() != 0) {
                    int next = g.temp();
                    g.lstore(next);
                    g.adjustRsp(imm.value() & 0xffff);
                    g.lload(next);
                }
                g.wrapIp();
                g.jumpIndirect();
            }

            public Flow flow(Instruction i) {
                return Flow.END;
            }
        });
        t.put(PUSH, (g, i) -> {
            Operand o = i.operand(0);
            if (!IntegerOps.isGprOrMemOrImm(o)) {
                throw new Untranslatable("PUSH of a segment register is a helper");
            }
            int size = i.operandSize();
            g.loc(o, size).load();
            g.push(size);
        });
        t.put(Mnemonic.POP, (g, i) -> {
            Operand o = i.operand(0);
            if (!IntegerOps.isGprOrMemOrImm(o)) {
                throw new Untranslatable("POP of a segment register is a helper");
            }
            int size = i.operandSize();
            if (o instanceof Operand.Mem m) {
                // POP to memory: the address uses RSP after the increment, but RSP itself changes only once the
                // store succeeded (a faulting store leaves RSP as it was).
                int v = g.temp(), a = g.temp(), d = g.temp();
                g.stackAddress(0);
                g.lstore(a);
                g.loadMem(a, size, false, true);
                g.lstore(v);
                g.effectiveAddress(m);
                if (m.base() == CpuState.RSP) {
                    g.lconst(size);
                    g.mv.visitInsn(org.objectweb.asm.Opcodes.LADD);
                    g.mask(m.addressSize());
                }
                g.addSegmentBase(m.segment().ordinal());
                g.lstore(d);
                g.lload(v);
                g.storeMem(d, size);
                g.adjustRsp(size);
                return;
            }
            g.pop(size);
            g.loc(o, size).store();
        });
        t.put(LEAVE, (g, i) -> {
            int size = i.operandSize();
            int sp = g.stackAddressSize();
            g.loadGpr(CpuState.RBP);
            g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RSP, sp), sp);
            g.pop(size);
            g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RBP, size), size);
        });
    }

    interface Condition {
        void jumpIfTaken(Gen g, Instruction i, Label taken);
    }

    private static Emitter branch(Condition c) {
        return new Emitter() {
            public void emit(Gen g, Instruction i) {
                Label taken = new Label();
                c.jumpIfTaken(g, i, taken);
                g.jumpTo(wrapNext(g, i));
                g.mv.visitLabel(taken);
                g.jumpTo(RegionCompiler.target(i));
            }

            public Flow flow(Instruction i) {
                return Flow.BRANCH;
            }
        };
    }

    private static long wrapNext(Gen g, Instruction i) {
        long next = i.nextAddress();
        return switch (g.mode) {
            case BITS64 -> next;
            case BITS32 -> next & 0xffffffffL;
            case BITS16 -> next & 0xffffL;
        };
    }

    private static void counterIsZero(Gen g, Instruction i, Label taken) {
        g.loadGpr(CpuState.RCX);
        g.mask(i.addressSize());
        g.lconst(0);
        g.mv.visitInsn(LCMP);
        g.mv.visitJumpInsn(IFEQ, taken);
    }

    /** LOOP/LOOPE/LOOPNE: decrement the counter (address size) without touching flags; {@code zfCc} 4=E, 5=NE. */
    private static void loop(Gen g, Instruction i, Label taken, int zfCc) {
        int size = i.addressSize();
        g.loadGpr(CpuState.RCX);
        g.lconst(1);
        g.mv.visitInsn(LSUB);
        g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RCX, size), size);
        Label notTaken = new Label();
        g.loadGpr(CpuState.RCX);
        g.mask(size);
        g.lconst(0);
        g.mv.visitInsn(LCMP);
        g.mv.visitJumpInsn(IFEQ, notTaken);
        if (zfCc >= 0) {
            g.jumpIf(zfCc, taken);
            g.mv.visitJumpInsn(GOTO, notTaken);
        } else {
            g.mv.visitJumpInsn(GOTO, taken);
        }
        g.mv.visitLabel(notTaken);
    }
}
