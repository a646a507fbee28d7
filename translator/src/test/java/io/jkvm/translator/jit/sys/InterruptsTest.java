package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.translator.jit.sys.Machine.*;
import static org.junit.jupiter.api.Assertions.*;

/** Event delivery through the IVT/IDT: frames, stack switches, and the double- and triple-fault rules. */
class InterruptsTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;

    @AfterEach
    void close() {
        m.close();
    }

    private GuestException catchFault(Runnable r) {
        return assertThrows(GuestException.class, r::run);
    }

    @Test
    void exceptionAtCpl3InLongModeSwitchesToRsp0AndPushesTheFullFrame() {
        m.longMode(3);
        m.gate64(GuestException.GP, 0x105000, 0, 0, 0xe);
        cpu.rip = 0x100123;
        cpu.gpr[CpuState.RSP] = 0x70008;
        cpu.setRflags(Flags.FIXED | Flags.IF | Flags.CF | Flags.IOPL);

        assertTrue(Interrupts.deliverException(cpu, m.mem, GuestException.gp(0x18, "test")));

        assertEquals(0x105000, cpu.rip);
        assertEquals(KCODE, cpu.seg[CpuState.CS].selector);
        assertEquals(0, cpu.cpl());
        assertTrue(cpu.is64());
        // SS becomes a null selector with RPL = new CPL on a privilege change in long mode.
        assertEquals(0, cpu.seg[CpuState.SS].selector);
        assertTrue(cpu.seg[CpuState.SS].unusable);
        long rsp = RSP0 - 6 * 8;
        assertEquals(rsp, cpu.gpr[CpuState.RSP]);
        assertEquals(0x18, m.get64(rsp));
        assertEquals(0x100123, m.get64(rsp + 8));
        assertEquals(UCODE | 3, m.get64(rsp + 16));
        // #GP is a fault: the saved RFLAGS has RF set.
        assertEquals(Flags.FIXED | Flags.IF | Flags.CF | Flags.IOPL | Flags.RF, m.get64(rsp + 24));
        assertEquals(0x70008, m.get64(rsp + 32));
        assertEquals(UDATA | 3, m.get64(rsp + 40));
        // Interrupt gate: IF cleared; the handler runs with supervisor accesses.
        assertEquals(0, cpu.rflags & Flags.IF);
        assertEquals(0, m.mem.userBit());
    }

    @Test
    void istStackIsUsedEvenWithoutPrivilegeChangeAndTheStackIsAligned() {
        m.longMode(0);
        m.gate64(GuestException.UD, 0x106000, 0, 1, 0xf);
        cpu.gpr[CpuState.RSP] = 0x60008;
        assertTrue(Interrupts.deliverException(cpu, m.mem, GuestException.ud("test")));
        // No error code for #UD: five quadwords on IST1.
        assertEquals(IST1 - 40, cpu.gpr[CpuState.RSP]);
        assertEquals(0x60008, m.get64(IST1 - 16));
        assertEquals(KDATA, m.get64(IST1 - 8));
        // Trap gate: IF stays set; same privilege: SS is kept.
        assertNotEquals(0, cpu.rflags & Flags.IF);
        assertEquals(KDATA, cpu.seg[CpuState.SS].selector);
    }

    @Test
    void samePrivilegeDeliveryAlignsRspDownTo16Bytes() {
        m.longMode(0);
        m.gate64(0x40, 0x106000, 0, 0, 0xe);
        cpu.gpr[CpuState.RSP] = 0x60008;
        Interrupts.deliverExternal(cpu, m.mem, 0x40);
        assertEquals(0x60000 - 40, cpu.gpr[CpuState.RSP]);
        assertEquals(0x60008, m.get64(0x60000 - 16));
        // External interrupts are not faults: RF is not set in the image.
        assertEquals(0, m.get64(0x60000 - 24) & Flags.RF);
    }

    /**
     * SDM table 6-5 (and KVM's {@code kvm_multiple_exception}): a #PF raised while delivering a contributory
     * exception such as #GP is handled serially, not as a double fault: the #PF is delivered instead (the #GP
     * recurs when the instruction restarts).
     */
    @Test
    void pageFaultWhileDeliveringGpIsDeliveredInstead() {
        m.longMode(3);
        m.splitSecondLargePage();
        m.unmap(0x300000);
        m.put64(TSS + 4, 0x301000);
        m.gate64(GuestException.GP, 0x105000, 0, 0, 0xe);
        m.gate64(GuestException.PF, 0x106000, 0, 1, 0xe);
        m.gate64(GuestException.DF, 0x107000, 0, 1, 0xe);
        cpu.rip = 0x100040;

        assertTrue(Interrupts.deliverException(cpu, m.mem, GuestException.gp(0, "test")));

        assertEquals(0x106000, cpu.rip);
        // The #PF hit the first push of the #GP frame on the ring-0 stack: a supervisor write, not present.
        assertEquals(0x300ff8, cpu.cr2);
        long rsp = cpu.gpr[CpuState.RSP];
        assertEquals(IST1 - 48, rsp);
        assertEquals(2, m.get64(rsp), "#PF error code: W/R set, U/S and P clear");
        assertEquals(0x100040, m.get64(rsp + 8));
        assertEquals(UCODE | 3, m.get64(rsp + 16));
        assertEquals(0x70000, m.get64(rsp + 32));
    }

    @Test
    void contributoryFaultWhileDeliveringGpIsDoubleFaultOnItsIstStack() {
        m.longMode(3);
        // #GP's gate is an interrupt gate marked not present: #NP (contributory) while delivering #GP.
        m.gate64(GuestException.GP, 0x105000, 0, 0, 0xe);
        m.put8(IDT + GuestException.GP * 16 + 5, 0x0e);
        m.gate64(GuestException.NP, 0x108000, 0, 0, 0xe);
        m.gate64(GuestException.DF, 0x107000, 0, 1, 0xe);
        cpu.rip = 0x100040;

        assertTrue(Interrupts.deliverException(cpu, m.mem, GuestException.gp(0, "test")));

        assertEquals(0x107000, cpu.rip);
        long rsp = cpu.gpr[CpuState.RSP];
        assertEquals(IST1 - 48, rsp);
        assertEquals(0, m.get64(rsp), "#DF pushes error code 0");
        assertEquals(0x100040, m.get64(rsp + 8));
        assertEquals(UCODE | 3, m.get64(rsp + 16));
        assertEquals(0, m.get64(rsp + 24) & Flags.RF, "#DF is an abort: no RF");
    }

    @Test
    void contributoryFaultWhileDeliveringPageFaultIsDoubleFault() {
        m.longMode(0);
        // #PF's entry is not a gate at all: #GP naming it, contributory after #PF.
        m.gate64(GuestException.DF, 0x107000, 0, 1, 0xe);
        assertTrue(Interrupts.deliverException(cpu, m.mem, GuestException.pf(0x123000, 0)));
        assertEquals(0x107000, cpu.rip);
        assertEquals(0x123000, cpu.cr2);
    }

    /** SDM table 6-5, row by row: first exception (benign, contributory, #PF) against the second. */
    @Test
    void doubleFaultTable() {
        GuestException benign = GuestException.ud("b"), contributory = GuestException.gp(0, "c"),
                pf = GuestException.pf(0, 0);
        GuestException[] kinds = {benign, contributory, pf};
        boolean[][] expected = {
                {false, false, false},
                {false, true, false},
                {false, true, true}};
        for (int first = 0; first < 3; first++) {
            for (int second = 0; second < 3; second++) {
                assertEquals(expected[first][second], Interrupts.makesDoubleFault(kinds[first], kinds[second]),
                        "first " + first + ", second " + second);
            }
        }
        for (int v : new int[]{GuestException.DE, GuestException.TS, GuestException.NP, GuestException.SS}) {
            assertTrue(Interrupts.makesDoubleFault(GuestException.of(v, "x"), contributory), "vector " + v);
        }
    }

    @Test
    void pageFaultWhileDeliveringPageFaultIsDoubleFault() {
        m.longMode(3);
        m.splitSecondLargePage();
        m.unmap(0x300000);
        m.put64(TSS + 4, 0x301000);
        m.gate64(GuestException.PF, 0x105000, 0, 0, 0xe);
        m.gate64(GuestException.DF, 0x107000, 0, 1, 0xe);
        assertTrue(Interrupts.deliverException(cpu, m.mem, GuestException.pf(0x123456, 4)));
        assertEquals(0x107000, cpu.rip);
    }

    @Test
    void faultWhileDeliveringDoubleFaultIsATripleFaultAndChangesNothing() {
        m.longMode(3);
        // An empty IDT: #GP's gate is not a gate (#GP again: contributory twice, #DF), nor is #DF's.
        cpu.rip = 0x100040;
        long rsp = cpu.gpr[CpuState.RSP];
        assertFalse(Interrupts.deliverException(cpu, m.mem, GuestException.gp(0, "test")));
        assertEquals(0x100040, cpu.rip);
        assertEquals(rsp, cpu.gpr[CpuState.RSP]);
        assertEquals(3, cpu.cpl());
    }

    @Test
    void benignExceptionWhoseDeliveryFaultsIsReplacedByTheFault() {
        m.longMode(0);
        // #UD's gate is an interrupt gate marked not present: #NP naming IDT entry 6 (IDT bit, EXT set) is
        // delivered instead.
        m.gate64(GuestException.UD, 0x108000, 0, 0, 0xe);
        m.put8(IDT + GuestException.UD * 16 + 5, 0x0e);
        m.gate64(GuestException.NP, 0x108000, 0, 0, 0xe);
        assertTrue(Interrupts.deliverException(cpu, m.mem, GuestException.ud("test")));
        assertEquals(0x108000, cpu.rip);
        assertEquals(6 * 8 + 2 + 1, m.get64(cpu.gpr[CpuState.RSP]));
    }

    @Test
    void pageFaultLoadsCr2() {
        m.longMode(0);
        m.gate64(GuestException.PF, 0x105000, 0, 0, 0xe);
        assertTrue(Interrupts.deliverException(cpu, m.mem, GuestException.pf(0xdead000, 6)));
        assertEquals(0xdead000, cpu.cr2);
        assertEquals(6, m.get64(cpu.gpr[CpuState.RSP]));
    }

    @Test
    void softwareInterruptChecksGateDplButExceptionsDoNot() {
        m.longMode(3);
        m.gate64(0x81, 0x105000, 0, 0, 0xe);
        m.gate64(0x80, 0x105000, 3, 0, 0xe);
        cpu.rip = 0x100000;
        GuestException e = catchFault(() -> m.exec("cd 81"));
        assertEquals(GuestException.GP, e.vector());
        assertEquals(0x81 * 8 + 2, e.errorCode(), "IDT bit set, EXT clear for INT n");
        assertEquals(0x100000, cpu.rip);
        assertEquals(3, cpu.cpl());

        assertEquals(Status.CONTINUE, m.exec("cd 80"));
        assertEquals(0x105000, cpu.rip);
        assertEquals(0x100002, m.get64(cpu.gpr[CpuState.RSP]), "INT n saves the next instruction");
        assertEquals(1, cpu.instructions);
    }

    @Test
    void int3AndIntoAreTrapsWithTheNextRip() {
        m.longMode(0);
        m.gate64(GuestException.BP, 0x105000, 0, 0, 0xe);
        assertEquals(Status.CONTINUE, m.exec("cc"));
        assertEquals(0x105000, cpu.rip);
        assertEquals(0x100001, m.get64(cpu.gpr[CpuState.RSP]));
        assertEquals(0, m.get64(cpu.gpr[CpuState.RSP] + 16) & Flags.RF, "traps do not set RF");
    }

    @Test
    void realModeUsesTheIvtAndIretReturns() {
        m.realMode();
        m.put16(0x10 * 4, 0x5678);
        m.put16(0x10 * 4 + 2, 0x1234);
        cpu.setRflags(Flags.FIXED | Flags.IF | Flags.ZF);
        assertEquals(Status.CONTINUE, m.exec("cd 10"));
        assertEquals(0x5678, cpu.rip);
        assertEquals(0x1234, cpu.seg[CpuState.CS].selector);
        assertEquals(0x12340, cpu.seg[CpuState.CS].base);
        assertEquals(0x7000 - 6, cpu.gpr[CpuState.RSP]);
        assertEquals(0x7c02, m.get16(0x7000 - 6));
        assertEquals(0, m.get16(0x7000 - 4));
        assertEquals(Flags.FIXED | Flags.IF | Flags.ZF, m.get16(0x7000 - 2));
        assertEquals(0, cpu.rflags & Flags.IF);

        assertEquals(Status.CONTINUE, m.exec("cf"));
        assertEquals(0x7c02, cpu.rip);
        assertEquals(0, cpu.seg[CpuState.CS].base);
        assertEquals(0x7000, cpu.gpr[CpuState.RSP]);
        assertEquals(Flags.FIXED | Flags.IF | Flags.ZF, cpu.getRflags());
    }

    @Test
    void protectedModeInterruptFromRing3SwitchesToTheTssStack() {
        m.protectedMode32(3);
        // A 32-bit TSS: ESP0 at 4, SS0 at 8.
        m.put32(TSS + 4, 0x80000);
        m.put16(TSS + 8, KDATA);
        cpu.tr.loadDescriptor(TSS_SEL, 0x67 | (TSS << 16) | (0x8bL << 40), 0);
        m.gate32(0x80, KCODE32, 0x105000, 3, 0xe);
        cpu.gpr[CpuState.RSP] = 0x70000;
        assertEquals(Status.CONTINUE, m.exec("cd 80"));
        assertEquals(0, cpu.cpl());
        assertEquals(KCODE32, cpu.seg[CpuState.CS].selector);
        assertEquals(KDATA, cpu.seg[CpuState.SS].selector);
        long esp = 0x80000 - 20;
        assertEquals(esp, cpu.gpr[CpuState.RSP]);
        assertEquals(0x100002, m.get32(esp));
        assertEquals(UCODE32 | 3, m.get32(esp + 4));
        assertEquals(0x70000, m.get32(esp + 12));
        assertEquals(UDATA | 3, m.get32(esp + 16));

        // IRETD back to ring 3 pops SS:ESP and nulls the ring-0 data segments.
        cpu.seg[CpuState.DS].loadDescriptor(KDATA, Machine.KDATA_DESC, 0);
        assertEquals(Status.CONTINUE, m.exec("cf"));
        assertEquals(3, cpu.cpl());
        assertEquals(0x100002, cpu.rip);
        assertEquals(0x70000, cpu.gpr[CpuState.RSP]);
        assertTrue(cpu.seg[CpuState.DS].unusable);
    }

    @Test
    void gateBeyondTheIdtLimitRaisesGpNamingTheEntry() {
        m.longMode(0);
        cpu.idtLimit = 16 * 0x20 - 1;
        GuestException e = catchFault(() -> Interrupts.deliverExternal(cpu, m.mem, 0x30));
        assertEquals(GuestException.GP, e.vector());
        assertEquals(0x30 * 8 + 2 + 1, e.errorCode(), "IDT and EXT bits for an external interrupt");
    }
}
