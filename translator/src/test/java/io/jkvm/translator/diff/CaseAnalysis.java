package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.Attribute;
import io.jkvm.translator.decoder.CodeSize;
import io.jkvm.translator.decoder.DecodeException;
import io.jkvm.translator.decoder.Decoder;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.Prefix;
import io.jkvm.translator.decoder.RegClass;

import java.util.ArrayList;
import java.util.List;

/**
 * What the comparison needs to know about an assembled case: its instructions as jkvm's decoder reads them (the
 * boundaries come from the assembler; a decoder that disagrees with them is reported, not trusted), and the
 * arithmetic flags that may be undefined before each instruction, over every path through the case's forward
 * branches ({@link FlagFlow}).
 */
final class CaseAnalysis {
    final Instruction[] insns;
    /** undefinedBefore[i]: flags that may be undefined when instruction i starts. */
    final int[] undefinedBefore;
    /** Decoder disagreements with the assembler (empty when none). */
    final List<String> decoderProblems = new ArrayList<>();
    /** Instructions that read a flag that may be undefined (the generator avoids these: a generator bug). */
    final List<Integer> taintedReads = new ArrayList<>();

    CaseAnalysis(DiffCase c) {
        int n = c.lines.size();
        insns = new Instruction[n];
        for (int i = 0; i < n; i++) {
            int off = c.offsets[i];
            int len = c.offsets[i + 1] - off;
            try {
                Instruction insn = Decoder.decode(c.code, off, c.code.length - off, DiffLayout.CODE + off,
                        CodeSize.BITS64);
                if (insn.length() != len) {
                    decoderProblems.add("instruction " + i + " (" + c.lines.get(i) + "): as says " + len
                            + " bytes, the decoder " + insn.length());
                }
                insns[i] = insn;
            } catch (DecodeException e) {
                decoderProblems.add("instruction " + i + " (" + c.lines.get(i) + "): decoder: " + e.getMessage());
            }
        }
        undefinedBefore = new int[n];
        int[] incoming = new int[n];
        // CL where it is known along every path (shift counts decide which flags are defined).
        long[] clIn = new long[n];
        java.util.Arrays.fill(clIn, UNSET);
        clIn[0] = FlagFlow.DYNAMIC;
        boolean[] reached = new boolean[n];
        reached[0] = true;
        for (int i = 0; i < n; i++) {
            int before = incoming[i];
            undefinedBefore[i] = before;
            Instruction insn = insns[i];
            if (insn == null || !reached[i]) {
                // Unreachable (after a JMP, not a target) or undecodable: flows nowhere.
                if (insn == null && i + 1 < n) {
                    flow(i + 1, FlagFlow.ARITH, FlagFlow.DYNAMIC, incoming, clIn, reached);
                }
                continue;
            }
            long cl = clIn[i];
            FlagFlow.Effect e = FlagFlow.of(insn, cl);
            if ((FlagFlow.reads(e) & before) != 0) {
                taintedReads.add(i);
            }
            int after = FlagFlow.after(e, before);
            long clAfter = clAfter(insn, cl);
            boolean fallsThrough = insn.mnemonic() != Mnemonic.JMP && insn.mnemonic() != Mnemonic.UD2;
            if (!insn.operands().isEmpty() && insn.operand(0) instanceof Operand.Rel rel) {
                int t = indexOf(c, rel.target());
                if (t > i) {
                    flow(t, after, clAfter, incoming, clIn, reached);
                }
            }
            if (fallsThrough && i + 1 < n) {
                flow(i + 1, after, clAfter, incoming, clIn, reached);
            }
        }
    }

    private static final long UNSET = Long.MIN_VALUE + 1;

    private static void flow(int to, int undefined, long cl, int[] incoming, long[] clIn, boolean[] reached) {
        reached[to] = true;
        incoming[to] |= undefined;
        clIn[to] = clIn[to] == UNSET || clIn[to] == cl ? cl : FlagFlow.DYNAMIC;
    }

    /**
     * CL after {@code insn}: known after MOV CL/ECX/RCX, imm; unknown after anything that may write RCX: an
     * instruction whose destination (operand 0) is RCX, XCHG/XADD naming it, LOOPcc, REP string instructions and
     * the system instructions that load ECX.
     */
    private static long clAfter(Instruction insn, long cl) {
        Mnemonic m = insn.mnemonic();
        boolean destIsRcx = !insn.operands().isEmpty() && isRcx(insn.operand(0));
        if (m == Mnemonic.MOV && destIsRcx && insn.operand(1) instanceof Operand.Imm imm) {
            return imm.value() & 0xff;
        }
        boolean readsOnlyOperand0 = switch (m) {
            case CMP, TEST, BT, PUSH, MUL, DIV, IDIV, JMP, CALL -> true;
            case IMUL -> insn.operands().size() == 1;
            default -> false;
        };
        boolean writes = destIsRcx && !readsOnlyOperand0;
        if ((m == Mnemonic.XCHG || m == Mnemonic.XADD) && insn.operands().stream().anyMatch(CaseAnalysis::isRcx)) {
            writes = true;
        }
        boolean implicit = switch (m) {
            case LOOP, LOOPE, LOOPNE, CPUID, RDTSCP, RDMSR, SYSCALL, XGETBV -> true;
            default -> m.is(Attribute.STRING) && (insn.has(Prefix.REP) || insn.has(Prefix.REPNE));
        };
        return writes || implicit ? FlagFlow.DYNAMIC : cl;
    }

    private static boolean isRcx(Operand o) {
        return o instanceof Operand.Reg r && r.regClass() == RegClass.GPR && r.number() == 1;
    }

    private static int indexOf(DiffCase c, long address) {
        return c.instructionAt(address);
    }

    /** The flags that may be undefined where {@code o} ended (everything possible if it ended elsewhere). */
    int undefinedAt(DiffCase c, long rip) {
        int i = c.instructionAt(rip);
        if (i >= 0) {
            return undefinedBefore[i];
        }
        int all = 0;
        for (int u : undefinedBefore) {
            all |= u;
        }
        return all;
    }
}
