package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.translator.jit.sys.Machine.*;
import static org.junit.jupiter.api.Assertions.*;

/** IRET, RETF, far JMP and far CALL, including the exact paths of the guests' boot stub. */
class FarTransfersTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;

    @AfterEach
    void close() {
        m.close();
    }

    private void pushFrame(long... quadwords) {
        long rsp = cpu.gpr[CpuState.RSP];
        for (int i = quadwords.length - 1; i >= 0; i--) {
            rsp -= 8;
            m.put64(rsp, quadwords[i]);
        }
        cpu.gpr[CpuState.RSP] = rsp;
    }

    @Test
    void iretqFromRing0ToRing3WithIopl3AsTheBootStubDoes() {
        m.longMode(0);
        cpu.setRflags(Flags.FIXED);
        // pushq $(SEL_UDATA|3); pushq $user_stack_top; pushq $(IOPL3|2); pushq $(SEL_UCODE|3); pushq $user_start
        pushFrame(0x101000, UCODE | 3, Flags.IOPL | Flags.FIXED, 0x70000, UDATA | 3);

        assertEquals(Status.CONTINUE, m.exec("48 cf"));

        assertEquals(0x101000, cpu.rip);
        assertEquals(3, cpu.cpl());
        assertEquals(UCODE | 3, cpu.seg[CpuState.CS].selector);
        assertTrue(cpu.is64());
        assertEquals(UDATA | 3, cpu.seg[CpuState.SS].selector);
        assertEquals(3, cpu.seg[CpuState.SS].dpl);
        assertEquals(0x70000, cpu.gpr[CpuState.RSP]);
        assertEquals(Flags.IOPL | Flags.FIXED, cpu.getRflags());
        assertEquals(1, cpu.instructions);
        // Ring-0 data segments are unusable at CPL 3.
        assertTrue(cpu.seg[CpuState.DS].unusable);
        assertEquals(0, cpu.seg[CpuState.DS].selector);
        assertEquals(1, m.mem.userBit(), "data accesses are user accesses now");
    }

    @Test
    void iretqAtRing3CannotRaiseIoplOrSetIfWithoutIopl() {
        m.longMode(3);
        cpu.setRflags(Flags.FIXED);
        pushFrame(0x101000, UCODE | 3, Flags.IOPL | Flags.IF | Flags.CF | Flags.FIXED, 0x6f000, UDATA | 3);
        assertEquals(Status.CONTINUE, m.exec("48 cf"));
        assertEquals(Flags.CF | Flags.FIXED, cpu.getRflags());
        assertEquals(0x6f000, cpu.gpr[CpuState.RSP], "64-bit IRETQ always pops SS:RSP");
    }

    @Test
    void iretqToRing0WithNullSsInLongMode() {
        m.longMode(0);
        pushFrame(0x101000, KCODE, Flags.FIXED, 0x5f000, 0);
        assertEquals(Status.CONTINUE, m.exec("48 cf"));
        assertEquals(0x5f000, cpu.gpr[CpuState.RSP]);
        assertEquals(0, cpu.seg[CpuState.SS].selector);
        assertEquals(0, cpu.cpl());
    }

    @Test
    void iretToInnerPrivilegeIsRefusedWithNothingChanged() {
        m.longMode(3);
        long rsp = cpu.gpr[CpuState.RSP];
        pushFrame(0x101000, KCODE, Flags.FIXED, 0x5f000, KDATA);
        long before = cpu.gpr[CpuState.RSP];
        GuestException e = assertThrows(GuestException.class, () -> m.exec("48 cf"));
        assertEquals(GuestException.GP, e.vector());
        assertEquals(KCODE, e.errorCode());
        assertEquals(before, cpu.gpr[CpuState.RSP]);
        assertEquals(3, cpu.cpl());
        assertNotEquals(rsp, before);
    }

    @Test
    void lretqToTheSameLevelReloadsCs() {
        m.longMode(0);
        // pushq $SEL_KCODE; pushq $1f; lretq
        pushFrame(0x100200, KCODE);
        long rsp = cpu.gpr[CpuState.RSP];
        assertEquals(Status.CONTINUE, m.exec("48 cb"));
        assertEquals(0x100200, cpu.rip);
        assertEquals(KCODE, cpu.seg[CpuState.CS].selector);
        assertEquals(rsp + 16, cpu.gpr[CpuState.RSP]);
        assertTrue(cpu.is64());
    }

    @Test
    void lretqToRing3PopsTheOuterStackAndReleasesParameters() {
        m.longMode(0);
        // RETF 16: two parameter quadwords between CS and RSP.
        pushFrame(0x101000, UCODE | 3, 0xaaaa, 0xbbbb, 0x6f000, UDATA | 3);
        assertEquals(Status.CONTINUE, m.exec("48 ca 10 00"));
        assertEquals(3, cpu.cpl());
        assertEquals(0x101000, cpu.rip);
        assertEquals(0x6f000 + 16, cpu.gpr[CpuState.RSP]);
        assertEquals(UDATA | 3, cpu.seg[CpuState.SS].selector);
    }

    @Test
    void farJumpFromCompatibilityModeInto64BitCode() {
        m.longMode(0);
        m.loadSegment(CpuState.CS, KCODE32);
        assertFalse(cpu.is64());
        // ljmp $0x08, $0x101000
        assertEquals(Status.CONTINUE, m.exec("ea 00 10 10 00 08 00"));
        assertTrue(cpu.is64());
        assertEquals(0x101000, cpu.rip);
        assertEquals(KCODE, cpu.seg[CpuState.CS].selector);
        // The CPU sets the accessed bit of the descriptor it loads.
        assertNotEquals(0, m.get8(GDT + KCODE + 5) & 1);
    }

    @Test
    void farJumpThroughMemoryToM16Colon64() {
        m.longMode(0);
        m.put64(0x5000, 0x102000);
        m.put16(0x5008, KCODE);
        cpu.gpr[CpuState.RAX] = 0x5000;
        // rex.w jmp far [rax]
        assertEquals(Status.CONTINUE, m.exec("48 ff 28"));
        assertEquals(0x102000, cpu.rip);
    }

    @Test
    void farCallPushesCsAndReturnAddress() {
        m.protectedMode32(0);
        long esp = cpu.gpr[CpuState.RSP];
        // lcall $0x38, $0x00102000
        assertEquals(Status.CONTINUE, m.exec("9a 00 20 10 00 38 00"));
        assertEquals(0x102000, cpu.rip);
        assertEquals(esp - 8, cpu.gpr[CpuState.RSP]);
        assertEquals(0x100007, m.get32(esp - 8));
        assertEquals(KCODE32, m.get32(esp - 4));
    }

    @Test
    void farJumpToADataSegmentRaisesGpNamingIt() {
        m.protectedMode32(0);
        GuestException e = assertThrows(GuestException.class, () -> m.exec("ea 00 20 10 00 10 00"));
        assertEquals(GuestException.GP, e.vector());
        assertEquals(KDATA, e.errorCode());
        assertEquals(0x100000, cpu.rip);
    }

    @Test
    void realModeFarJumpComputesTheBase() {
        m.realMode();
        // ljmp $0x07c0, $0x0010
        assertEquals(Status.CONTINUE, m.exec("ea 10 00 c0 07"));
        assertEquals(0x10, cpu.rip);
        assertEquals(0x7c00, cpu.seg[CpuState.CS].base);
    }
}
