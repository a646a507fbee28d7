package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.RegClass;
import org.objectweb.asm.Label;

import java.util.Map;

import static io.jkvm.translator.decoder.Mnemonic.*;
import static org.objectweb.asm.Opcodes.*;

/**
 * General-purpose integer instructions that compile to straight-line bytecode: moves, ALU operations, shifts,
 * multiplication, sign extension, bit operations, conditional moves and sets. Semantics that need more than a few
 * bytecodes live in {@link IntSemantics} as static methods (written once, inlined by C2).
 */
final class IntegerOps {
    private IntegerOps() {
    }

    static void register(Map<Mnemonic, Emitter> t) {
        alu(t, ADD, Flags.ADD, LADD, true);
        alu(t, SUB, Flags.SUB, LSUB, true);
        alu(t, AND, Flags.LOGIC, LAND, true);
        alu(t, OR, Flags.LOGIC, LOR, true);
        alu(t, XOR, Flags.LOGIC, LXOR, true);
        alu(t, CMP, Flags.SUB, LSUB, false);
        alu(t, TEST, Flags.LOGIC, LAND, false);
        t.put(ADC, (g, i) -> carryAlu(g, Flags.ADC, LADD));
        t.put(SBB, (g, i) -> carryAlu(g, Flags.SBB, LSUB));
        t.put(INC, (g, i) -> incDec(g, Flags.INC, LADD));
        t.put(DEC, (g, i) -> incDec(g, Flags.DEC, LSUB));
        t.put(NEG, IntegerOps::neg);
        t.put(NOT, IntegerOps::not);
        t.put(MOV, IntegerOps::mov);
        t.put(MOVZX, (g, i) -> extend(g, false));
        t.put(MOVSX, (g, i) -> extend(g, true));
        t.put(MOVSXD, (g, i) -> extend(g, true));
        t.put(LEA, IntegerOps::lea);
        t.put(XCHG, IntegerOps::xchg);
        t.put(CBW, (g, i) -> signExtendAccumulator(g, 2));
        t.put(CWDE, (g, i) -> signExtendAccumulator(g, 4));
        t.put(CDQE, (g, i) -> signExtendAccumulator(g, 8));
        t.put(CWD, (g, i) -> signIntoRdx(g, 2));
        t.put(CDQ, (g, i) -> signIntoRdx(g, 4));
        t.put(CQO, (g, i) -> signIntoRdx(g, 8));
        t.put(SETCC, IntegerOps::setcc);
        t.put(CMOVCC, IntegerOps::cmovcc);
        t.put(BSWAP, IntegerOps::bswap);
        t.put(SHL, (g, i) -> shift(g, Flags.SHL));
        t.put(SAL, (g, i) -> shift(g, Flags.SHL));
        t.put(SHR, (g, i) -> shift(g, Flags.SHR));
        t.put(SAR, (g, i) -> shift(g, Flags.SAR));
        t.put(ROL, (g, i) -> rotate(g, "rol"));
        t.put(ROR, (g, i) -> rotate(g, "ror"));
        t.put(Mnemonic.IMUL, IntegerOps::imul);
        t.put(MUL, (g, i) -> mulWide(g, false));
        t.put(DIV, (g, i) -> divide(g, false));
        t.put(Mnemonic.IDIV, (g, i) -> divide(g, true));
        t.put(BSF, (g, i) -> bitScan(g, "bsf"));
        t.put(BSR, (g, i) -> bitScan(g, "bsr"));
        t.put(TZCNT, (g, i) -> bitScan(g, "tzcnt"));
        t.put(LZCNT, (g, i) -> bitScan(g, "lzcnt"));
        t.put(POPCNT, (g, i) -> bitScan(g, "popcnt"));
        t.put(BT, (g, i) -> bitTest(g, 0));
        t.put(BTS, (g, i) -> bitTest(g, 1));
        t.put(BTR, (g, i) -> bitTest(g, 2));
        t.put(BTC, (g, i) -> bitTest(g, 3));
        t.put(XADD, IntegerOps::xadd);
        t.put(CMPXCHG, IntegerOps::cmpxchg);
        t.put(SHLD, (g, i) -> doubleShift(g, "shld"));
        t.put(SHRD, (g, i) -> doubleShift(g, "shrd"));
        Emitter nop = (g, i) -> {
        };
        for (Mnemonic m : new Mnemonic[]{Mnemonic.NOP, PAUSE, LFENCE, MFENCE, SFENCE, PREFETCHNTA, PREFETCHT0, PREFETCHT1,
                PREFETCHT2, PREFETCHW, ENDBR64, ENDBR32}) {
            t.put(m, nop);
        }
    }

    private static final String SEM = "io/jkvm/translator/jit/IntSemantics";

    // ------------------------------------------------------------------ ALU

    private static void alu(Map<Mnemonic, Emitter> t, Mnemonic m, int kind, int opcode, boolean store) {
        t.put(m, (g, i) -> {
            int size = i.operandSize();
            Gen.Loc d = store ? g.locForUpdate(0) : g.loc(0);
            Gen.Loc s = g.loc(i.operand(1), size);
            int a = g.temp(), b = g.temp(), r = g.temp();
            d.load();
            g.lstore(a);
            s.load();
            g.lstore(b);
            g.lload(a);
            g.lload(b);
            g.mv.visitInsn(opcode);
            g.mask(size);
            g.lstore(r);
            if (store) {
                g.lload(r);
                d.store();
            }
            g.setFlags(kind, size, r, b, -1);
        });
    }

    private static void carryAlu(Gen g, int kind, int opcode) {
        Instruction i = g.insn;
        int size = i.operandSize();
        Gen.Loc d = g.locForUpdate(0);
        Gen.Loc s = g.loc(i.operand(1), size);
        int a = g.temp(), b = g.temp(), c = g.temp(), r = g.temp();
        g.carryFlag();
        g.lstore(c);
        d.load();
        g.lstore(a);
        s.load();
        g.lstore(b);
        g.lload(a);
        g.lload(b);
        g.mv.visitInsn(opcode);
        g.lload(c);
        g.mv.visitInsn(opcode);
        g.mask(size);
        g.lstore(r);
        g.lload(r);
        d.store();
        g.setFlags(kind, size, r, b, c);
    }

    private static void incDec(Gen g, int kind, int opcode) {
        int size = g.insn.operandSize();
        Gen.Loc d = g.locForUpdate(0);
        int c = g.temp(), r = g.temp();
        g.carryFlag();
        g.lstore(c);
        d.load();
        g.lconst(1);
        g.mv.visitInsn(opcode);
        g.mask(size);
        g.lstore(r);
        g.lload(r);
        d.store();
        g.setFlags(kind, size, r, c, -1);
    }

    private static void neg(Gen g, Instruction i) {
        int size = i.operandSize();
        Gen.Loc d = g.locForUpdate(0);
        int a = g.temp(), r = g.temp();
        d.load();
        g.lstore(a);
        g.lload(a);
        g.mv.visitInsn(LNEG);
        g.mask(size);
        g.lstore(r);
        g.lload(r);
        d.store();
        g.setFlags(Flags.NEG, size, r, a, -1);
    }

    private static void not(Gen g, Instruction i) {
        Gen.Loc d = g.locForUpdate(0);
        d.load();
        g.lconst(-1);
        g.mv.visitInsn(LXOR);
        d.store();
    }

    // ------------------------------------------------------------------ moves

    private static void mov(Gen g, Instruction i) {
        Operand dst = i.operand(0);
        Operand src = i.operand(1);
        if (!isGprOrMemOrImm(dst) || !isGprOrMemOrImm(src)) {
            throw new Untranslatable("MOV with special registers is a helper");
        }
        int size = i.operandSize();
        Gen.Loc s = g.loc(src, size);
        s.load();
        Gen.Loc d = g.loc(dst, size);
        d.store();
    }

    static boolean isGprOrMemOrImm(Operand o) {
        return switch (o) {
            case Operand.Reg r -> r.regClass() == RegClass.GPR || r.regClass() == RegClass.GPR8_HIGH;
            case Operand.Mem m -> true;
            case Operand.Imm im -> true;
            default -> false;
        };
    }

    private static void extend(Gen g, boolean signed) {
        Instruction i = g.insn;
        Operand src = i.operand(1);
        int srcSize = src.size();
        Gen.Loc s = g.loc(src, srcSize);
        s.load();
        if (signed) {
            g.sext(srcSize);
        }
        g.loc(i.operand(0), i.operandSize()).store();
    }

    private static void lea(Gen g, Instruction i) {
        g.effectiveAddress((Operand.Mem) i.operand(1));
        g.loc(i.operand(0), i.operandSize()).store();
    }

    private static void xchg(Gen g, Instruction i) {
        int size = i.operandSize();
        Operand x = i.operand(0);
        Operand y = i.operand(1);
        if (x instanceof Operand.Reg && y instanceof Operand.Mem) {
            Operand t = x;
            x = y;
            y = t;
        }
        // x may be memory: its store happens first so a fault leaves the registers untouched.
        Gen.Loc lx = g.locForUpdate(x, size);
        Gen.Loc ly = g.loc(y, size);
        int a = g.temp(), b = g.temp();
        lx.load();
        g.lstore(a);
        ly.load();
        g.lstore(b);
        g.lload(b);
        lx.store();
        g.lload(a);
        ly.store();
    }

    private static void signExtendAccumulator(Gen g, int size) {
        Operand.Reg rax = new Operand.Reg(RegClass.GPR, CpuState.RAX, size);
        g.loadGpr(CpuState.RAX);
        g.sext(size / 2);
        g.storeReg(rax, size);
    }

    private static void signIntoRdx(Gen g, int size) {
        g.loadGpr(CpuState.RAX);
        g.sext(size);
        g.iconst(63);
        g.mv.visitInsn(LSHR);
        g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RDX, size), size);
    }

    private static void setcc(Gen g, Instruction i) {
        Gen.Loc d = g.loc(i.operand(0), 1);
        g.conditionValue(i.condition());
        g.mv.visitInsn(I2L);
        d.store();
    }

    private static void cmovcc(Gen g, Instruction i) {
        int size = i.operandSize();
        Gen.Loc d = g.loc(0);
        Gen.Loc s = g.loc(i.operand(1), size);
        int v = g.temp();
        // The source is read (and may fault) whatever the condition; a 32-bit destination is always written.
        s.load();
        g.lstore(v);
        Label keep = new Label();
        Label done = new Label();
        g.jumpIf(i.condition() ^ 1, keep);
        g.lload(v);
        g.mv.visitJumpInsn(GOTO, done);
        g.mv.visitLabel(keep);
        d.load();
        g.mv.visitLabel(done);
        d.store();
    }

    private static void bswap(Gen g, Instruction i) {
        int size = i.operandSize();
        Gen.Loc d = g.loc(0);
        d.load();
        if (size == 8) {
            g.mv.visitMethodInsn(INVOKESTATIC, "java/lang/Long", "reverseBytes", "(J)J", false);
        } else {
            g.mv.visitInsn(L2I);
            g.mv.visitMethodInsn(INVOKESTATIC, "java/lang/Integer", "reverseBytes", "(I)I", false);
            g.mv.visitInsn(I2L);
            if (size == 2) {
                // BSWAP of a 16-bit register is undefined; CPUs produce zero.
                g.mv.visitInsn(POP2);
                g.lconst(0);
            }
        }
        d.store();
    }

    // ------------------------------------------------------------------ shifts and rotates

    /** Pushes the masked shift count (int) of operand 1, or 1 when the instruction has no count operand. */
    private static void shiftCount(Gen g, Instruction i, int size) {
        if (i.operands().size() < 2) {
            g.iconst(1);
            return;
        }
        g.load(1, 1);
        g.mv.visitInsn(L2I);
        g.iconst(size == 8 ? 63 : 31);
        g.mv.visitInsn(IAND);
    }

    /**
     * The start shared by shifts and rotates: reads the destination into {@code a} and returns the label a zero
     * count (long local {@code cnt}) jumps to, where neither the operand nor the flags change. A memory
     * destination is read (checked as a write) before the count test, as on hardware: a zero count on an unmapped
     * page still faults. Close with {@link #zeroCountTail}.
     */
    private static Label beginCounted(Gen g, Gen.Loc d, int a, int cnt) {
        Label skip = new Label();
        if (d.isMemory()) {
            d.load();
            g.lstore(a);
        }
        g.lload(cnt);
        g.lconst(0);
        g.mv.visitInsn(LCMP);
        g.mv.visitJumpInsn(IFEQ, skip);
        if (!d.isMemory()) {
            d.load();
            g.lstore(a);
        }
        return skip;
    }

    /**
     * Where a masked count of zero skips the operation: a 32-bit register destination is still written, so its
     * upper half is cleared, as on hardware (the flags and memory destinations are left alone).
     */
    private static void zeroCountTail(Gen g, Gen.Loc d, Label skip, Label done) {
        g.mv.visitJumpInsn(GOTO, done);
        g.mv.visitLabel(skip);
        if (d.size() == 4 && !d.isMemory()) {
            d.load();
            d.store();
        }
        g.mv.visitLabel(done);
    }

    private static void shift(Gen g, int kind) {
        Instruction i = g.insn;
        int size = i.operandSize();
        Gen.Loc d = g.locForUpdate(0);
        int a = g.temp(), r = g.temp(), s = g.temp(), cnt = g.temp();
        shiftCount(g, i, size);
        g.mv.visitInsn(I2L);
        g.lstore(cnt);
        Label skip = beginCounted(g, d, a, cnt);
        // s = a shifted by count-1 (carries the last bit shifted out), r = a shifted by count.
        for (int pass = 0; pass < 2; pass++) {
            g.lload(a);
            if (kind == Flags.SAR) {
                g.sext(size);
            }
            g.lload(cnt);
            if (pass == 0) {
                g.lconst(1);
                g.mv.visitInsn(LSUB);
            }
            g.mv.visitInsn(L2I);
            g.mv.visitInsn(kind == Flags.SHL ? LSHL : kind == Flags.SHR ? LUSHR : LSHR);
            if (pass == 1) {
                g.mask(size);
            }
            g.lstore(pass == 0 ? s : r);
        }
        g.lload(r);
        d.store();
        g.setFlags(kind, size, r, s, a);
        zeroCountTail(g, d, skip, new Label());
        g.knownCcOp = -1;
    }

    private static void rotate(Gen g, String which) {
        Instruction i = g.insn;
        int size = i.operandSize();
        Gen.Loc d = g.locForUpdate(0);
        int a = g.temp(), r = g.temp(), cnt = g.temp(), f = g.temp();
        shiftCount(g, i, size);
        g.mv.visitInsn(I2L);
        g.lstore(cnt);
        Label skip = beginCounted(g, d, a, cnt);
        if (i.operands().size() < 2 || i.operand(1) instanceof Operand.Imm) {
            // Constant count: a plain shift pair C2 turns into one rotate, no call (see inlineRotate).
            int c = i.operands().size() < 2 ? 1 : (int) (((Operand.Imm) i.operand(1)).value() & (size == 8 ? 63 : 31));
            inlineRotate(g, a, c % (size * 8), size, which.equals("rol"));
        } else {
            g.lload(a);
            g.lload(cnt);
            g.mv.visitInsn(L2I);
            g.iconst(size);
            g.mv.visitMethodInsn(INVOKESTATIC, SEM, which, "(JII)J", false);
        }
        g.lstore(r);
        g.lload(r);
        d.store();
        if (g.flagsNeeded()) {
            g.arithFlags();
            g.lload(r);
            g.iconst(size);
            g.mv.visitMethodInsn(INVOKESTATIC, SEM, which + "Flags", "(JJI)J", false);
            g.lstore(f);
            g.setFlags(Flags.EFLAGS, 8, -1, f, -1);
        }
        zeroCountTail(g, d, skip, new Label());
        g.knownCcOp = -1;
    }

    /**
     * Pushes {@code a} (zero-extended, {@code size} bytes) rotated by the constant {@code c}, as bytecode: calls to
     * semantic helpers in large regions can exceed C2's inlining budget, and a real call spills every guest register.
     */
    private static void inlineRotate(Gen g, int a, int c, int size, boolean left) {
        int bits = size * 8;
        if (c == 0) {
            g.lload(a);
            return;
        }
        int first = left ? c : bits - c;
        g.lload(a);
        g.iconst(first);
        g.mv.visitInsn(LSHL);
        g.lload(a);
        g.iconst(bits - first);
        g.mv.visitInsn(LUSHR);
        g.mv.visitInsn(LOR);
        g.mask(size);
    }

    private static void doubleShift(Gen g, String which) {
        Instruction i = g.insn;
        int size = i.operandSize();
        Gen.Loc d = g.locForUpdate(0);
        Gen.Loc s = g.loc(i.operand(1), size);
        int a = g.temp(), b = g.temp(), cnt = g.temp(), r = g.temp(), f = g.temp();
        g.load(2, 1);
        g.mv.visitInsn(L2I);
        g.iconst(size == 8 ? 63 : 31);
        g.mv.visitInsn(IAND);
        g.mv.visitInsn(I2L);
        g.lstore(cnt);
        Label skip = beginCounted(g, d, a, cnt);
        s.load();
        g.lstore(b);
        g.lload(a);
        g.lload(b);
        g.lload(cnt);
        g.mv.visitInsn(L2I);
        g.iconst(size);
        g.mv.visitMethodInsn(INVOKESTATIC, SEM, which, "(JJII)J", false);
        g.lstore(r);
        g.lload(r);
        d.store();
        if (g.flagsNeeded()) {
            g.lload(a);
            g.lload(b);
            g.lload(cnt);
            g.mv.visitInsn(L2I);
            g.iconst(size);
            g.mv.visitMethodInsn(INVOKESTATIC, SEM, which + "Flags", "(JJII)J", false);
            g.lstore(f);
            g.setFlags(Flags.EFLAGS, 8, -1, f, -1);
        }
        zeroCountTail(g, d, skip, new Label());
        g.knownCcOp = -1;
    }

    // ------------------------------------------------------------------ multiply and divide

    private static void imul(Gen g, Instruction i) {
        int size = i.operandSize();
        if (i.operands().size() == 1) {
            mulWide(g, true);
            return;
        }
        // Two- and three-operand forms: dst = src1 * src2 truncated, CF = OF = the product did not fit.
        Operand src1 = i.operands().size() == 3 ? i.operand(1) : i.operand(0);
        Operand src2 = i.operands().size() == 3 ? i.operand(2) : i.operand(1);
        int a = g.temp(), b = g.temp(), r = g.temp(), o = g.temp();
        g.loc(src1, size).load();
        g.sext(size);
        g.lstore(a);
        g.loc(src2, size).load();
        g.sext(size);
        g.lstore(b);
        g.lload(a);
        g.lload(b);
        g.iconst(size);
        g.mv.visitMethodInsn(INVOKESTATIC, SEM, "imulOverflow", "(JJI)J", false);
        g.lstore(o);
        g.lload(a);
        g.lload(b);
        g.mv.visitInsn(LMUL);
        g.mask(size);
        g.lstore(r);
        g.lload(r);
        g.loc(i.operand(0), size).store();
        g.setFlags(Flags.MUL, size, r, o, -1);
    }

    /** One-operand MUL/IMUL: rDX:rAX = rAX * src (AX = AL * src for bytes). */
    private static void mulWide(Gen g, boolean signed) {
        Instruction i = g.insn;
        int size = i.operandSize();
        int a = g.temp(), b = g.temp(), lo = g.temp(), hi = g.temp(), o = g.temp();
        g.load(0, size);
        g.lstore(b);
        g.loadGpr(CpuState.RAX);
        g.mask(size);
        g.lstore(a);
        g.lload(a);
        g.lload(b);
        g.iconst(size);
        g.mv.visitMethodInsn(INVOKESTATIC, SEM, signed ? "imulHigh" : "mulHigh", "(JJI)J", false);
        g.lstore(hi);
        g.lload(a);
        if (signed) {
            g.sext(size);
        }
        g.lload(b);
        if (signed) {
            g.sext(size);
        }
        g.mv.visitInsn(LMUL);
        g.mask(size);
        g.lstore(lo);
        // Overflow: the high half is not the extension of the low half.
        g.lload(lo);
        g.lload(hi);
        g.iconst(size);
        g.iconst(signed ? 1 : 0);
        g.mv.visitMethodInsn(INVOKESTATIC, SEM, "wideOverflow", "(JJIZ)J", false);
        g.lstore(o);
        if (size == 1) {
            g.lload(hi);
            g.iconst(8);
            g.mv.visitInsn(LSHL);
            g.lload(lo);
            g.mv.visitInsn(LOR);
            g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RAX, 2), 2);
        } else {
            g.lload(hi);
            g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RDX, size), size);
            g.lload(lo);
            g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RAX, size), size);
        }
        g.setFlags(Flags.MUL, size, lo, o, -1);
    }

    /** DIV/IDIV: quotient and remainder of rDX:rAX by src; #DE on zero divisor or overflow (raised by the helper). */
    private static void divide(Gen g, boolean signed) {
        Instruction i = g.insn;
        int size = i.operandSize();
        int d = g.temp(), q = g.temp(), rem = g.temp();
        g.load(0, size);
        g.lstore(d);
        String name = signed ? "idiv" : "div";
        for (int pass = 0; pass < 2; pass++) {
            if (size == 1) {
                g.loadGpr(CpuState.RAX);
                g.mask(2);
                g.lconst(0);
            } else {
                g.loadGpr(CpuState.RAX);
                g.mask(size);
                g.loadGpr(CpuState.RDX);
                g.mask(size);
            }
            g.lload(d);
            g.iconst(size);
            g.mv.visitMethodInsn(INVOKESTATIC, SEM, name + (pass == 0 ? "Quotient" : "Remainder"), "(JJJI)J", false);
            g.lstore(pass == 0 ? q : rem);
        }
        if (size == 1) {
            g.lload(rem);
            g.iconst(8);
            g.mv.visitInsn(LSHL);
            g.lload(q);
            g.mv.visitInsn(LOR);
            g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RAX, 2), 2);
        } else {
            g.lload(rem);
            g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RDX, size), size);
            g.lload(q);
            g.storeReg(new Operand.Reg(RegClass.GPR, CpuState.RAX, size), size);
        }
        // Flags are undefined after DIV/IDIV; leave them as they were.
    }

    // ------------------------------------------------------------------ bit operations

    private static void bitScan(Gen g, String which) {
        Instruction i = g.insn;
        int size = i.operandSize();
        Gen.Loc d = g.loc(0);
        int s = g.temp(), r = g.temp(), f = g.temp();
        g.load(1, size);
        g.lstore(s);
        g.lload(s);
        d.load();
        g.iconst(size);
        g.mv.visitMethodInsn(INVOKESTATIC, SEM, which, "(JJI)J", false);
        g.lstore(r);
        boolean flags = g.flagsNeeded();
        if (flags) {
            g.arithFlags();
            g.lload(s);
            g.lload(r);
            g.iconst(size);
            g.mv.visitMethodInsn(INVOKESTATIC, SEM, which + "Flags", "(JJJI)J", false);
            g.lstore(f);
        }
        // BSF/BSR of zero leave the destination alone: not even the upper half of a 64-bit register is cleared
        // (AMD documents it; Intel CPUs behave the same, though the SDM calls the value undefined).
        Label noWrite = new Label();
        if (which.equals("bsf") || which.equals("bsr")) {
            g.lload(s);
            g.lconst(0);
            g.mv.visitInsn(LCMP);
            g.mv.visitJumpInsn(IFEQ, noWrite);
        }
        g.lload(r);
        d.store();
        g.mv.visitLabel(noWrite);
        if (flags) {
            g.setFlags(Flags.EFLAGS, 8, -1, f, -1);
        }
    }

    /** BT/BTS/BTR/BTC: {@code op} 0 = test, 1 = set, 2 = reset, 3 = complement. */
    private static void bitTest(Gen g, int op) {
        Instruction i = g.insn;
        int size = i.operandSize();
        Operand base = i.operand(0);
        Operand off = i.operand(1);
        int bit = g.temp(), v = g.temp(), f = g.temp();
        Gen.Loc d;
        if (base instanceof Operand.Mem m && off instanceof Operand.Reg) {
            // Register offsets address a bit string: the signed offset may select another operand-sized word.
            int addr = g.temp();
            g.load(1, size);
            g.sext(size);
            g.lstore(bit);
            g.effectiveAddress(m);
            g.lload(bit);
            g.iconst(Integer.numberOfTrailingZeros(size * 8));
            g.mv.visitInsn(LSHR);
            g.iconst(Integer.numberOfTrailingZeros(size));
            g.mv.visitInsn(LSHL);
            g.mv.visitInsn(LADD);
            g.mask(m.addressSize());
            g.addSegmentBase(m.segment().ordinal());
            g.lstore(addr);
            d = g.new Loc(base, addr, size, op != 0);
        } else {
            d = op != 0 ? g.locForUpdate(base, size) : g.loc(base, size);
            g.load(1, size);
            g.lstore(bit);
        }
        g.lload(bit);
        g.lconst(size * 8 - 1);
        g.mv.visitInsn(LAND);
        g.lstore(bit);
        d.load();
        g.lstore(v);
        boolean flags = g.flagsNeeded();
        if (flags) {
            g.arithFlags();
            g.lconst(~Flags.CF);
            g.mv.visitInsn(LAND);
            g.lload(v);
            g.lload(bit);
            g.mv.visitInsn(L2I);
            g.mv.visitInsn(LUSHR);
            g.lconst(1);
            g.mv.visitInsn(LAND);
            g.mv.visitInsn(LOR);
            g.lstore(f);
        }
        if (op != 0) {
            g.lload(v);
            g.lconst(1);
            g.lload(bit);
            g.mv.visitInsn(L2I);
            g.mv.visitInsn(LSHL);
            switch (op) {
                case 1 -> g.mv.visitInsn(LOR);
                case 2 -> {
                    g.lconst(-1);
                    g.mv.visitInsn(LXOR);
                    g.mv.visitInsn(LAND);
                }
                default -> g.mv.visitInsn(LXOR);
            }
            d.store();
        }
        if (flags) {
            g.setFlags(Flags.EFLAGS, 8, -1, f, -1);
        }
    }

    private static void xadd(Gen g, Instruction i) {
        int size = i.operandSize();
        Gen.Loc d = g.locForUpdate(0);
        Gen.Loc s = g.loc(i.operand(1), size);
        int a = g.temp(), b = g.temp(), r = g.temp();
        d.load();
        g.lstore(a);
        s.load();
        g.lstore(b);
        g.lload(a);
        g.lload(b);
        g.mv.visitInsn(LADD);
        g.mask(size);
        g.lstore(r);
        // SRC = DEST first, then DEST = sum: with the same register for both, the sum wins (as on hardware).
        if (d.isMemory()) {
            g.lload(r);
            d.store();
            g.lload(a);
            s.store();
        } else {
            g.lload(a);
            s.store();
            g.lload(r);
            d.store();
        }
        g.setFlags(Flags.ADD, size, r, b, -1);
    }

    private static void cmpxchg(Gen g, Instruction i) {
        int size = i.operandSize();
        Gen.Loc d = g.locForUpdate(0);
        Gen.Loc s = g.loc(i.operand(1), size);
        int acc = g.temp(), cur = g.temp(), r = g.temp();
        Operand.Reg rax = new Operand.Reg(RegClass.GPR, CpuState.RAX, size);
        g.loadReg(rax, size);
        g.lstore(acc);
        d.load();
        g.lstore(cur);
        Label notEqual = new Label();
        Label done = new Label();
        g.lload(acc);
        g.lload(cur);
        g.mv.visitInsn(LCMP);
        g.mv.visitJumpInsn(IFNE, notEqual);
        s.load();
        d.store();
        g.mv.visitJumpInsn(GOTO, done);
        g.mv.visitLabel(notEqual);
        // The destination is written back unchanged (a locked cycle), then the accumulator is loaded.
        if (d.isMemory()) {
            g.lload(cur);
            d.store();
        }
        g.lload(cur);
        g.storeReg(rax, size);
        g.mv.visitLabel(done);
        g.lload(acc);
        g.lload(cur);
        g.mv.visitInsn(LSUB);
        g.mask(size);
        g.lstore(r);
        g.setFlags(Flags.SUB, size, r, cur, -1);
    }
}
