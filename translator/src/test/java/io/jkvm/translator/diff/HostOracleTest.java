package io.jkvm.translator.diff;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the oracle itself: that the host executor loads every register it is given, reports the end state and
 * the exceptions of the host CPU faithfully, and lays out memory as the JIT machine does. Expected values here
 * follow from the SDM, not from either executor.
 */
class HostOracleTest {
    private static HostExecutor host;
    private static GasAssembler as;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(GasAssembler.unavailableReason().isEmpty(),
                () -> "skipped: " + GasAssembler.unavailableReason().orElse(""));
        host = HostExecutor.create().orElse(null);
        Assumptions.assumeTrue(host != null, () -> "skipped: " + HostExecutor.unavailableReason());
        as = new GasAssembler(HostExecutor.workDirectory());
    }

    static MachineState state() {
        MachineState s = new MachineState();
        for (int i = 0; i < 16; i++) {
            s.gpr[i] = 0x1111111111111111L * (i + 1);
            s.xmm[2 * i] = 0x0101010101010101L * (i + 1);
            s.xmm[2 * i + 1] = ~s.xmm[2 * i];
        }
        s.gpr[4] = DiffLayout.STACK_TOP;
        s.rflags = 0x202;
        s.mxcsr = 0x1f80;
        for (int i = 0; i < s.scratch.length; i++) {
            s.scratch[i] = (byte) (i * 7 + 3);
        }
        return s;
    }

    static List<Outcome> run(boolean trace, MachineState s, String... lines) throws Exception {
        List<String> l = new ArrayList<>(List.of(lines));
        l.add("ud2");
        DiffCase c = new DiffCase(0, 0, l, s, false);
        as.assemble(List.of(c));
        return host.run(List.of(c), trace);
    }

    static Outcome one(MachineState s, String... lines) throws Exception {
        return run(false, s, lines).get(0);
    }

    @Test
    void everyRegisterArrivesAndLeavesUnchanged() throws Exception {
        MachineState s = state();
        s.rflags = 0x202 | 0x8d5; // OF DF SF ZF AF PF CF... all user flags set
        Outcome o = one(s);
        assertEquals(6, o.vector, o.detail);
        assertEquals(DiffLayout.CODE, o.state.rip);
        assertArrayEquals(s.gpr, o.state.gpr);
        assertArrayEquals(s.xmm, o.state.xmm);
        assertEquals(s.mxcsr, o.state.mxcsr);
        assertEquals(s.rflags & 0xcd5, o.state.rflags & 0xcd5);
        assertArrayEquals(s.scratch, o.state.scratch);
    }

    @Test
    void resultsReflectTheInstructions() throws Exception {
        MachineState s = state();
        s.mxcsr = 0x3f80 | 0x40; // round down, DAZ
        Outcome o = one(s, "add rax, rcx", "movq rbx, xmm5", "mov qword ptr [rsp-8], rax",
                "stmxcsr dword ptr [0x20000010]", "addps xmm1, xmm2");
        assertEquals(0x1111111111111111L + 0x2222222222222222L, o.state.gpr[0]);
        assertEquals(0x0606060606060606L, o.state.gpr[3]);
        assertEquals(o.state.gpr[0], MachineState.le64(o.state.scratch, 0x1c00 - 8));
        assertEquals(s.mxcsr, MachineState.le64(o.state.scratch, 0x10) & 0xffffffffL);
        assertTrue(o.state.xmm[2] != s.xmm[2], "addps changed xmm1");
    }

    @Test
    void exceptionsAreReportedWithTheirVectorAndTheFaultingInstruction() throws Exception {
        MachineState s = state();
        Outcome de = one(s, "nop", "xor edx, edx", "xor ecx, ecx", "div ecx");
        assertEquals(0, de.vector);
        assertEquals(DiffLayout.CODE + 5, de.state.rip);
        Outcome pf = one(s, "mov eax, dword ptr [0x20002004]");
        assertEquals(14, pf.vector);
        assertEquals(0x20002004L, pf.faultAddress);
        assertEquals(4, pf.errorCode & 7, "user read of a not-present page");
        Outcome pfw = one(s, "mov qword ptr [0x1ffffff8], rax");
        assertEquals(14, pfw.vector);
        assertEquals(6, pfw.errorCode & 7, "user write of a not-present page");
        Outcome gp = one(s, "movabs rax, 0x0000800000000000", "mov eax, dword ptr [rax]");
        assertEquals(13, gp.vector, "non-canonical address");
        Outcome ud = one(s, "nop", ".byte 0x0f, 0xff");
        assertEquals(6, ud.vector);
        assertEquals(DiffLayout.CODE + 1, ud.state.rip);
        MachineState ac = state();
        ac.rflags |= 1 << 18;
        Outcome alignment = one(ac, "mov eax, dword ptr [0x20000001]");
        assertEquals(17, alignment.vector, "CR0.AM is set on Linux: RFLAGS.AC checks alignment at CPL 3");
    }

    @Test
    void traceModeRecordsEveryInstructionAndEveryRepIteration() throws Exception {
        MachineState s = state();
        s.gpr[6] = DiffLayout.SCRATCH + 0x100;
        s.gpr[7] = DiffLayout.SCRATCH + 0x200;
        Outcome o = run(true, s, "mov ecx, 3", "rep movsb", "inc eax").get(0);
        List<Long> rips = o.steps.stream().map(x -> x.rip - DiffLayout.CODE).toList();
        assertEquals(List.of(5L, 5L, 5L, 7L, 9L), rips, "mov; three iterations of rep movsb; inc");
        assertEquals(6, o.vector);
        assertArrayEquals(java.util.Arrays.copyOfRange(s.scratch, 0x100, 0x103),
                java.util.Arrays.copyOfRange(o.state.scratch, 0x200, 0x203));
    }
}
