package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.RegClass;
import io.jkvm.translator.decoder.Rflags;

/**
 * The explicit list of results the SDM leaves undefined and that depend on run-time values, so that the static
 * flag masks of {@link FlagFlow} cannot cover them, plus the places where the host CPU implements more than the
 * CPU model jkvm presents (so the host is not the oracle there). A divergence whose first divergent instruction
 * matches a rule here, and disappears once the rule's registers and flags are masked (or at all, for a rule about
 * the whole outcome), is counted as explained and not as a JIT bug. Every rule names its source; add a rule only
 * with one.
 */
final class UndefinedBehaviour {
    /**
     * A rule that applies: its name and what it leaves undefined ({@code wholeOutcome}: the outcome may differ in
     * any way, as when the host accepts an operand that the modelled CPU rejects).
     */
    record Rule(String name, Differ.Mask mask, boolean wholeOutcome) {
        Rule(String name, Differ.Mask mask) {
            this(name, mask, false);
        }
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
            case LDMXCSR -> {
                // Host model, not SDM: AMD CPUs with MisAlignSse (CPUID 8000_0001h ECX[7], "misalignsse" in
                // /proc/cpuinfo) define MXCSR bit 17 (MM, misaligned-exception mask) and accept it in LDMXCSR
                // (AMD APM Vol. 4, LDMXCSR; MXCSR_MASK 0x2ffff). jkvm models MXCSR_MASK 0xffff, where the SDM
                // requires #GP(0) for any reserved bit. Only bit 17 alone is excused: other reserved bits must #GP.
                Long v = value(insn, 0, pre);
                if (v != null && (v & 0xffffffffL & ~0xffffL) == 1L << 17) {
                    return new Rule("LDMXCSR with MXCSR bit 17 (AMD MM) set: accepted by this AMD host only",
                            Differ.Mask.NONE, true);
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
            int bytes = m.size() > 0 && m.size() <= 8 ? m.size() : Math.min(size, 8);
            long a = address(insn, m, s) - DiffLayout.SCRATCH;
            if (a < 0 || a + bytes > DiffLayout.SCRATCH_SIZE) {
                return null;
            }
            long v = 0;
            for (int k = bytes - 1; k >= 0; k--) {
                v = v << 8 | (s.scratch[(int) a + k] & 0xff);
            }
            return v;
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
