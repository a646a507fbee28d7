package io.jkvm.runtime.diff;

import io.jkvm.abi.ExitReason;
import io.jkvm.runtime.Backend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The lockstep machine on the JIT backend (which runs everywhere): single-stepping works through the public API,
 * faults at CPL 3 reach the vector's HLT stub through the IDT with the frame the SDM describes (SDM Vol. 3A 6.14.2:
 * SS, RSP, RFLAGS, CS, RIP, error code), and the lockstep loop finds no divergence between two identical backends.
 */
class LockstepMachineTest {
    private static HardwareLockstepTest.Case assembled(String... lines) throws Exception {
        Assumptions.assumeTrue(HardwareLockstepTest.assemblerAvailable(), "skipped: GNU as is not installed");
        HardwareLockstepTest.Case c = new HardwareLockstepTest.Case(0);
        c.lines.addAll(List.of(lines));
        c.gpr[3] = LockstepMachine.SCRATCH + 0x800;
        c.gpr[4] = LockstepMachine.STACK_TOP;
        c.rflags = 0x202;
        HardwareLockstepTest.assemble(List.of(c), work());
        return c;
    }

    private static Path work() throws Exception {
        return Files.createDirectories(Path.of(System.getProperty("basedir", "."), "target", "lockstep"));
    }

    private static LockstepMachine.State runToEnd(LockstepMachine m, HardwareLockstepTest.Case c, int[] steps) {
        m.load(c.code, c.gpr, c.rflags, c.mxcsr, c.xmm, c.image);
        ExitReason e;
        int n = 0;
        do {
            e = m.step();
            n++;
        } while (e == ExitReason.DEBUG && n < 1000);
        assertEquals(ExitReason.HLT, e);
        steps[0] = n;
        return m.state();
    }

    @Test
    void singleStepsAndDeliversFaultsToTheVectorsStub() throws Exception {
        HardwareLockstepTest.Case de = assembled("mov eax, 7", "xor edx, edx", "xor ecx, ecx", "div ecx", "ud2");
        HardwareLockstepTest.Case pf = assembled("mov eax, dword ptr [0x20002010]", "ud2");
        int[] steps = new int[1];
        try (LockstepMachine m = new LockstepMachine(Backend.JIT)) {
            LockstepMachine.State s = runToEnd(m, de, steps);
            assertEquals(LockstepMachine.STUBS + 1, s.rip, "HLT of the #DE stub (vector 0)");
            long divAt = LockstepMachine.CODE + 5 + 2 + 2;
            assertEquals(List.of(0L, divAt, 0x33L, LockstepMachine.STACK_TOP, 0x2bL),
                    List.of(s.frame[0], s.frame[1], s.frame[2], s.frame[4], s.frame[5]),
                    "frame: no error code, RIP of the DIV, user CS, user RSP, user SS");
            assertEquals(7, s.gpr[0]);
            assertEquals(true, steps[0] >= 4, "three instructions were single-stepped before the fault");
        }
        try (LockstepMachine m = new LockstepMachine(Backend.JIT)) {
            LockstepMachine.State p = runToEnd(m, pf, steps);
            assertEquals(LockstepMachine.STUBS + 16 * 14 + 1, p.rip, "HLT of the #PF stub");
            assertEquals(0x20002010L, p.cr2);
            assertEquals(4L, p.frame[0], "error code: user read of a not-present page");
            assertEquals(LockstepMachine.CODE, p.frame[1]);
        }
    }

    @Test
    void lockstepOfTwoIdenticalBackendsFindsNothing() throws Exception {
        Assumptions.assumeTrue(HardwareLockstepTest.assemblerAvailable(), "skipped: GNU as is not installed");
        List<HardwareLockstepTest.Case> cases = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            cases.add(HardwareLockstepTest.generate(new SplittableRandom(99 + i), i));
        }
        HardwareLockstepTest.assemble(cases, work());
        for (HardwareLockstepTest.Case c : cases) {
            try (LockstepMachine a = new LockstepMachine(Backend.JIT);
                 LockstepMachine b = new LockstepMachine(Backend.JIT)) {
                assertNull(HardwareLockstepTest.lockstep(c, a, b, work()), c.listing);
            }
        }
    }
}
