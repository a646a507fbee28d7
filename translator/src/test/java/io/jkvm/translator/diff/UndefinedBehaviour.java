package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.RegClass;
import io.jkvm.translator.decoder.Rflags;

/**
 * The explicit list of results the SDM leaves undefined and that depend on run-time values, so that the static
 * flag masks of {@link FlagFlow} cannot cover them. A divergence whose first divergent instruction matches a rule
 * here, and disappears once the rule's registers and flags are masked, is counted as undefined behaviour and not
 * as a JIT bug. Every rule names its SDM source; add a rule only with one.
 */
final class UndefinedBehaviour {
    /** A rule that applies: its name and what it leaves undefined. */
    record Rule(String name, Differ.Mask mask) {
    }

    private UndefinedBehaviour() {
    }

    /** The rule covering {@code insn} executed from {@code pre}, or null. */
    static Rule applicable(Instruction insn, MachineState pre) {
        switch (insn.mnemonic()) {
            case BSF, BSR -> {
                // SDM Vol. 2A, BSF/BSR: "If the content of the source operand is 0, the content of the destination
                // operand is undefined." (AMD documents "unchanged"; Intel CPUs differ for 32-bit operands.)
                Long src = value(insn, 1, pre);
                if (src != null && src == 0 && insn.operand(0) instanceof Operand.Reg d) {
                    return new Rule(insn.mnemonic() + " with a zero source: destination undefined",
                            new Differ.Mask(0, 1 << d.number()));
                }
            }
            case SHLD, SHRD -> {
                // SDM Vol. 2B, SHLD/SHRD: "If the count is greater than the operand size, the result is undefined"
                // and so are the flags (only reachable with 16-bit operands: the count is masked to 5 bits).
                long count = insn.operand(2) instanceof Operand.Imm imm ? imm.value() : pre.gpr[1];
                count &= insn.operandSize() == 8 ? 0x3f : 0x1f;
                if (count > insn.operandSize() * 8L) {
                    int gprs = insn.operand(0) instanceof Operand.Reg d ? 1 << d.number() : 0;
                    return new Rule(insn.mnemonic() + " with a count above the operand size: result undefined",
                            new Differ.Mask(Rflags.OSZAPC, gprs));
                }
            }
            default -> {
            }
        }
        return null;
    }

    /** The value of operand {@code i} of {@code insn} in state {@code s}, if it is a GPR or scratch memory. */
    static Long value(Instruction insn, int i, MachineState s) {
        Operand o = insn.operand(i);
        int size = insn.operandSize();
        long mask = size == 8 ? -1L : (1L << (8 * size)) - 1;
        if (o instanceof Operand.Reg r && r.regClass() == RegClass.GPR) {
            return s.gpr[r.number()] & mask;
        }
        if (o instanceof Operand.Reg r && r.regClass() == RegClass.GPR8_HIGH) {
            return s.gpr[r.number()] >>> 8 & 0xff;
        }
        if (o instanceof Operand.Mem m) {
            long a = address(insn, m, s) - DiffLayout.SCRATCH;
            if (a < 0 || a + 8 > DiffLayout.SCRATCH_SIZE) {
                return null;
            }
            return MachineState.le64(s.scratch, (int) a) & mask;
        }
        return null;
    }

    /** The linear address of a memory operand in state {@code s}. */
    static long address(Instruction insn, Operand.Mem m, MachineState s) {
        long a;
        if (m.base() == Operand.Mem.RIP) {
            a = m.displacement();
        } else {
            a = m.displacement();
            if (m.base() != Operand.Mem.NONE) {
                a += s.gpr[m.base()];
            }
            if (m.index() != Operand.Mem.NONE) {
                a += s.gpr[m.index()] * m.scale();
            }
        }
        return m.addressSize() == 4 ? a & 0xffffffffL : a;
    }
}
