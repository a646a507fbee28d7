package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.Mnemonic;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jkvm.translator.decoder.Rflags.AF;
import static io.jkvm.translator.decoder.Rflags.CF;
import static io.jkvm.translator.decoder.Rflags.OF;
import static io.jkvm.translator.decoder.Rflags.OSZAPC;
import static io.jkvm.translator.decoder.Rflags.PF;
import static io.jkvm.translator.decoder.Rflags.SF;
import static io.jkvm.translator.decoder.Rflags.ZF;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The undefined-flag masks against the SDM's "Flags Affected" rules, and their flow through a case. */
class FlagFlowTest {
    private static int after(Mnemonic m, int size, long count, int before) {
        return FlagFlow.after(new FlagFlow.Effect(m, -1, size, count, false), before);
    }

    @Test
    void shiftsDefineOverflowOnlyForACountOfOneAndNothingForZero() {
        assertEquals(AF, after(Mnemonic.SHL, 4, 1, OSZAPC), "SHL by 1: only AF undefined");
        assertEquals(AF | OF, after(Mnemonic.SHR, 4, 5, OSZAPC), "SHR by 5: OF undefined too");
        assertEquals(OSZAPC, after(Mnemonic.SAR, 4, 32, OSZAPC), "count masked to 0: flags unchanged");
        assertEquals(0, after(Mnemonic.SAR, 8, 64, 0), "64-bit count masked to 0: nothing becomes undefined");
        assertEquals(AF | OF | CF, after(Mnemonic.SHL, 1, 8, 0), "SHL r8 by 8: CF undefined (count >= width)");
        assertEquals(AF | OF, after(Mnemonic.SAR, 1, 8, 0), "SAR keeps CF defined whatever the count");
        assertEquals(ZF | AF | OF | CF, after(Mnemonic.SHL, 2, FlagFlow.DYNAMIC, ZF),
                "a count in CL may be 0: earlier undefined flags stay undefined");
    }

    @Test
    void rotatesThroughCarryByAMultipleOfWidthPlusOneKeepCarry() {
        assertEquals(CF | OF, after(Mnemonic.RCL, 1, 9, CF), "RCL r8 by 9 rotates nothing: CF as before");
        assertEquals(OF, after(Mnemonic.RCL, 1, 9, 0));
        assertEquals(OF, after(Mnemonic.RCR, 2, 3, CF), "RCR r16 by 3 defines CF");
        assertEquals(0, after(Mnemonic.ROL, 4, 1, OF | CF), "ROL by 1 defines OF and CF");
        assertEquals(OF, after(Mnemonic.ROR, 4, 8, CF), "ROR by 8: OF undefined");
    }

    @Test
    void doubleShiftsBeyondTheWidthAreUndefined() {
        assertEquals(OSZAPC, after(Mnemonic.SHLD, 2, 17, 0), "SHLD r16 by 17: everything undefined");
        assertEquals(AF | OF, after(Mnemonic.SHRD, 2, 16, 0), "SHRD r16 by 16 is still defined");
        assertEquals(AF, after(Mnemonic.SHRD, 8, 1, 0));
        assertEquals(SF, after(Mnemonic.SHLD, 4, 0, SF), "count 0: unchanged");
    }

    @Test
    void tablesForMultiplyBitScanAndStrings() {
        assertEquals(SF | ZF | AF | PF, after(Mnemonic.IMUL, 4, FlagFlow.DYNAMIC, 0));
        assertEquals(OSZAPC & ~ZF, after(Mnemonic.BSF, 4, FlagFlow.DYNAMIC, 0));
        assertEquals(OF | SF | AF | PF, after(Mnemonic.TZCNT, 4, FlagFlow.DYNAMIC, OSZAPC));
        assertEquals(0, after(Mnemonic.POPCNT, 4, FlagFlow.DYNAMIC, OSZAPC));
        assertEquals(ZF, FlagFlow.after(new FlagFlow.Effect(Mnemonic.CMPS, -1, 1, FlagFlow.DYNAMIC, true), ZF),
                "REPE CMPS may run no iteration");
        assertEquals(0, FlagFlow.after(new FlagFlow.Effect(Mnemonic.CMPS, -1, 1, FlagFlow.DYNAMIC, false), ZF));
        assertEquals(CF | ZF, FlagFlow.reads(new FlagFlow.Effect(Mnemonic.JCC, 6, 8, FlagFlow.DYNAMIC, false)),
                "JBE reads CF and ZF");
    }

    @Test
    void undefinedFlagsFlowAlongForwardBranchesAndCountsInClAreTracked() throws Exception {
        Assumptions.assumeTrue(GasAssembler.unavailableReason().isEmpty());
        GasAssembler as = new GasAssembler(HostExecutor.workDirectory());
        DiffCase branch = assembled(as, "imul eax, ebx", "jc LABEL_4", "cmp eax, ebx", "mov eax, 1", "ud2");
        CaseAnalysis a = new CaseAnalysis(branch);
        assertEquals(0, a.undefinedBefore[3], "CMP defined every flag on the fall-through path");
        assertEquals(SF | ZF | AF | PF, a.undefinedBefore[4], "the taken JC carries IMUL's undefined flags");
        assertEquals(List.of(), a.taintedReads);
        DiffCase counted = assembled(as, "mov cl, 1", "shl eax, cl", "mov ecx, 0x20", "shl ebx, cl", "ud2");
        CaseAnalysis b = new CaseAnalysis(counted);
        assertEquals(AF, b.undefinedBefore[2], "CL = 1 is known: OF is defined");
        assertEquals(AF, b.undefinedBefore[4], "CL = 0x20 masks to 0: SHL changes no flag");
        DiffCase tainted = assembled(as, "mul ecx", "jz LABEL_2", "ud2");
        assertEquals(List.of(1), new CaseAnalysis(tainted).taintedReads, "JZ after MUL reads an undefined ZF");
    }

    private static DiffCase assembled(GasAssembler as, String... lines) throws Exception {
        List<String> l = new ArrayList<>(List.of(lines));
        DiffCase c = new DiffCase(0, 0, l, new MachineState(), false);
        as.assemble(List.of(c));
        return c;
    }
}
