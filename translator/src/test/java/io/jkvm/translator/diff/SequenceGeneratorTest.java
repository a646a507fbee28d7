package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generator is reproducible, covers the instruction set it promises, and never reads undefined flags. */
class SequenceGeneratorTest {
    private static final SequenceGenerator.Options INTEGER = new SequenceGenerator.Options(20, false, 0.03, 0.01);

    @Test
    void aCaseIsAFunctionOfSeedAndIndex() {
        SequenceGenerator g = new SequenceGenerator(INTEGER);
        DiffCase a = g.generate(42, 7);
        DiffCase b = new SequenceGenerator(INTEGER).generate(42, 7);
        assertEquals(a.lines, b.lines);
        assertArrayEquals(a.initial.gpr, b.initial.gpr);
        assertArrayEquals(a.initial.scratch, b.initial.scratch);
        assertEquals(a.initial.rflags, b.initial.rflags);
        assertNotEquals(a.lines, g.generate(42, 8).lines);
        assertNotEquals(a.lines, g.generate(43, 7).lines);
    }

    @Test
    void casesCoverTheIntegerSetAndItsOperandFormsWithoutReadingUndefinedFlags() throws Exception {
        Assumptions.assumeTrue(GasAssembler.unavailableReason().isEmpty(),
                () -> "skipped: " + GasAssembler.unavailableReason().orElse(""));
        SequenceGenerator g = new SequenceGenerator(INTEGER);
        List<DiffCase> cases = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            cases.add(g.generate(0x5eed, i));
        }
        new GasAssembler(HostExecutor.workDirectory()).assemble(cases);
        Set<Mnemonic> seen = EnumSet.noneOf(Mnemonic.class);
        Set<String> forms = new TreeSet<>();
        List<String> tainted = new ArrayList<>();
        for (DiffCase c : cases) {
            CaseAnalysis a = new CaseAnalysis(c);
            for (Instruction i : a.insns) {
                if (i != null) {
                    seen.add(i.mnemonic());
                }
            }
            if (!a.taintedReads.isEmpty()) {
                tainted.add(c.name() + " instruction " + a.taintedReads.get(0) + "\n" + c.listing());
            }
            for (String line : c.lines) {
                String l = line.replaceAll("LABEL_\\w+: ", "");
                note(forms, l, "\\b[abcd]h\\b", "8-bit high register");
                note(forms, l, "\\[e[a-z]{2}|\\[r\\d+d", "32-bit address size");
                note(forms, l, "\\[rip \\+", "RIP-relative");
                note(forms, l, "\\[r\\w+\\*\\d \\+ 0x", "index without base");
                note(forms, l, "\\[0x", "absolute disp32");
                note(forms, l, "^movabs \\w+, \\w+ ptr", "moffs load");
                note(forms, l, "^lock ", "LOCK");
                note(forms, l, "^rep ", "REP");
                note(forms, l, "^repe ", "REPE");
                note(forms, l, "^repne ", "REPNE");
                note(forms, l, ", cl$", "count in CL");
                note(forms, l, "^(sh|sa|ro|rc)[lr] \\w.*, 0x0$", "shift by 0");
                note(forms, l, "^(sh|sa|ro|rc)[lr] .*, 1$", "shift by 1");
                note(forms, l, "\\[rsp", "RSP base");
                note(forms, l, "^addr32 ", "32-bit address size string instruction");
            }
        }
        assertEquals(List.of(), tainted, "the generator must define flags before reading them");
        Set<Mnemonic> required = EnumSet.of(Mnemonic.ADD, Mnemonic.OR, Mnemonic.ADC, Mnemonic.SBB, Mnemonic.AND,
                Mnemonic.SUB, Mnemonic.XOR, Mnemonic.CMP, Mnemonic.TEST, Mnemonic.INC, Mnemonic.DEC, Mnemonic.NEG,
                Mnemonic.NOT, Mnemonic.ROL, Mnemonic.ROR, Mnemonic.RCL, Mnemonic.RCR, Mnemonic.SHL, Mnemonic.SHR,
                Mnemonic.SAR, Mnemonic.SHLD, Mnemonic.SHRD, Mnemonic.MUL, Mnemonic.IMUL, Mnemonic.DIV,
                Mnemonic.IDIV, Mnemonic.LEA, Mnemonic.MOV, Mnemonic.MOVZX, Mnemonic.MOVSX, Mnemonic.MOVSXD,
                Mnemonic.XCHG, Mnemonic.CMPXCHG, Mnemonic.CMPXCHG8B, Mnemonic.CMPXCHG16B, Mnemonic.XADD,
                Mnemonic.BT, Mnemonic.BTS, Mnemonic.BTR, Mnemonic.BTC, Mnemonic.BSF, Mnemonic.BSR, Mnemonic.TZCNT,
                Mnemonic.LZCNT, Mnemonic.POPCNT, Mnemonic.SETCC, Mnemonic.CMOVCC, Mnemonic.CBW, Mnemonic.CWDE,
                Mnemonic.CDQE, Mnemonic.CWD, Mnemonic.CDQ, Mnemonic.CQO, Mnemonic.BSWAP, Mnemonic.PUSH,
                Mnemonic.POP, Mnemonic.LAHF, Mnemonic.SAHF, Mnemonic.CLC, Mnemonic.STC, Mnemonic.CMC, Mnemonic.CLD,
                Mnemonic.STD, Mnemonic.MOVS, Mnemonic.CMPS, Mnemonic.STOS, Mnemonic.LODS, Mnemonic.SCAS,
                Mnemonic.JCC, Mnemonic.JMP, Mnemonic.LOOP, Mnemonic.LOOPE, Mnemonic.LOOPNE, Mnemonic.JRCXZ,
                Mnemonic.JECXZ);
        Set<Mnemonic> missing = EnumSet.copyOf(required);
        missing.removeAll(seen);
        assertEquals(Set.of(), missing, "mnemonics the generator never produced");
        assertEquals(new TreeSet<>(List.of("8-bit high register", "32-bit address size", "RIP-relative",
                "index without base", "absolute disp32", "moffs load", "LOCK", "REP", "REPE", "REPNE",
                "count in CL", "shift by 0", "shift by 1", "RSP base", "32-bit address size string instruction")),
                forms, "operand forms");
    }

    private static void note(Set<String> forms, String line, String regex, String name) {
        if (java.util.regex.Pattern.compile(regex).matcher(line).find()) {
            forms.add(name);
        }
    }

    @Test
    void memoryOperandsStayInsideTheScratchAreaExceptTheDeliberateFaults() throws Exception {
        Assumptions.assumeTrue(GasAssembler.unavailableReason().isEmpty());
        HostExecutor host = HostExecutor.create().orElse(null);
        Assumptions.assumeTrue(host != null, () -> "skipped: " + HostExecutor.unavailableReason());
        // No deliberate faults, no alignment checks: the only exceptions left are #DE (untamed divisions) and
        // #GP from CMPXCHG16B on a misaligned operand.
        SequenceGenerator g = new SequenceGenerator(new SequenceGenerator.Options(20, false, 0, 0));
        List<DiffCase> cases = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            cases.add(g.generate(0xface, i));
        }
        new GasAssembler(HostExecutor.workDirectory()).assemble(cases);
        List<Outcome> out = host.run(cases, false);
        List<String> stray = new ArrayList<>();
        int completed = 0;
        for (int i = 0; i < cases.size(); i++) {
            Outcome o = out.get(i);
            DiffCase c = cases.get(i);
            if (o.completed(c.endAddress())) {
                completed++;
            } else if (o.vector == 14 || o.vector == 12 || (o.vector == 13
                    && !c.lines.get(c.instructionAt(o.state.rip)).contains("cmpxchg16b"))) {
                stray.add(c.name() + ": " + o.describeEnd(c.endAddress()) + "\n" + c.listing());
            }
        }
        assertEquals(List.of(), stray, "memory accesses outside the scratch area");
        assertTrue(completed > 900, completed + " of 1000 cases ran to the end");
    }
}
