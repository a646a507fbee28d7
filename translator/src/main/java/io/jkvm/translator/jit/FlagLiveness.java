package io.jkvm.translator.jit;

import io.jkvm.translator.decoder.Attribute;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.Rflags;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Which arithmetic flags can still be observed after each instruction of a block, so that emitters can skip
 * computing flags nobody reads (52% of hot guest instructions write flags; almost none are read).
 *
 * <p>A backward pass over the block: flags are live at the block's end (the successor is unknown), an instruction
 * kills the flags it always writes and makes live the flags it reads, and an instruction that may fault or exit
 * makes every flag live before it, because the exception frame (or the VMM) sees RFLAGS as they are there. Flags the
 * manuals leave undefined count as written: nobody may rely on them.
 */
final class FlagLiveness {
    static final int ARITH = Rflags.OSZAPC;

    /** Instructions without memory operands that can still fault or exit. */
    private static final Set<Mnemonic> MAY_FAULT = EnumSet.of(Mnemonic.DIV, Mnemonic.IDIV, Mnemonic.PUSH,
            Mnemonic.POP, Mnemonic.CALL, Mnemonic.RET, Mnemonic.LEAVE);
    /** Memory operands that are not accessed. */
    private static final Set<Mnemonic> NO_ACCESS = EnumSet.of(Mnemonic.LEA, Mnemonic.NOP, Mnemonic.PREFETCHNTA,
            Mnemonic.PREFETCHT0, Mnemonic.PREFETCHT1, Mnemonic.PREFETCHT2, Mnemonic.PREFETCHW);
    /** Shifts and rotates: a zero count leaves the flags alone, so only a non-zero immediate count kills. */
    private static final Set<Mnemonic> COUNTED = EnumSet.of(Mnemonic.SHL, Mnemonic.SAL, Mnemonic.SHR,
            Mnemonic.SAR, Mnemonic.ROL, Mnemonic.ROR, Mnemonic.RCL, Mnemonic.RCR, Mnemonic.SHLD, Mnemonic.SHRD);

    private FlagLiveness() {
    }

    /** For each instruction of {@code block}, the arithmetic flags (RFLAGS bits) that may be read after it. */
    static int[] liveAfter(List<Instruction> block) {
        int[] out = new int[block.size()];
        int live = ARITH;
        for (int i = block.size() - 1; i >= 0; i--) {
            out[i] = live;
            live = liveBefore(block.get(i), live);
        }
        return out;
    }

    private static int liveBefore(Instruction insn, int liveAfter) {
        if (mayFault(insn)) {
            return ARITH;
        }
        Mnemonic m = insn.mnemonic();
        int read = insn.condition() >= 0 ? Rflags.readByCondition(insn.condition()) : m.flagsRead() & ARITH;
        int kill = kills(insn) ? m.flagsWritten() & ARITH : 0;
        return (liveAfter & ~kill) | read;
    }

    private static boolean kills(Instruction insn) {
        if (!COUNTED.contains(insn.mnemonic())) {
            return true;
        }
        Operand count = insn.operands().get(insn.operands().size() - 1);
        if (insn.operands().size() < 2) {
            return true; // shift by one
        }
        int mask = insn.operandSize() == 8 ? 63 : 31;
        return count instanceof Operand.Imm imm && (imm.value() & mask) != 0
                && insn.mnemonic() != Mnemonic.RCL && insn.mnemonic() != Mnemonic.RCR;
    }

    static boolean mayFault(Instruction insn) {
        Mnemonic m = insn.mnemonic();
        if (MAY_FAULT.contains(m) || m.is(Attribute.SSE) || m.is(Attribute.STRING) || m.is(Attribute.X87)
                || Emitters.isHelper(insn)) {
            return true;
        }
        if (NO_ACCESS.contains(m)) {
            return false;
        }
        for (Operand o : insn.operands()) {
            if (o instanceof Operand.Mem) {
                return true;
            }
        }
        return false;
    }
}
