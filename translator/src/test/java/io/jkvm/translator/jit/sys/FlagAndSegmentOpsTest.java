package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.translator.jit.sys.Machine.*;
import static org.junit.jupiter.api.Assertions.*;

/** RFLAGS instructions (POPF's privilege rules, CLI/STI) and segment-register loads. */
class FlagAndSegmentOpsTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;

    @AfterEach
    void close() {
        m.close();
    }

    private GuestException fault(Runnable r) {
        long rip = cpu.rip;
        GuestException e = assertThrows(GuestException.class, r::run);
        assertEquals(rip, cpu.rip);
        return e;
    }

    @Test
    void popfAtCpl3CannotChangeIoplOrIfButChangesTheRest() {
        m.longMode(3);
        cpu.setRflags(Flags.FIXED | Flags.IF);
        long rsp = cpu.gpr[CpuState.RSP] - 8;
        m.put64(rsp, Flags.IOPL | Flags.CF | Flags.ZF | Flags.DF | Flags.AC | Flags.RF | Flags.VM);
        cpu.gpr[CpuState.RSP] = rsp;
        assertEquals(Status.CONTINUE, m.exec("9d"));
        // IOPL unchanged (CPL > 0), IF unchanged (CPL > IOPL), RF cleared, VM never written.
        assertEquals(Flags.FIXED | Flags.IF | Flags.CF | Flags.ZF | Flags.DF | Flags.AC, cpu.getRflags());
        assertEquals(rsp + 8, cpu.gpr[CpuState.RSP]);

        // With IOPL 3 (set by the OS), ring 3 may change IF but still not IOPL.
        cpu.setRflags(Flags.FIXED | Flags.IOPL | Flags.IF);
        m.put64(rsp, Flags.FIXED);
        cpu.gpr[CpuState.RSP] = rsp;
        assertEquals(Status.CONTINUE, m.exec("9d"));
        assertEquals(Flags.FIXED | Flags.IOPL, cpu.getRflags());
    }

    @Test
    void popfAtCpl0ChangesIoplAndIf() {
        m.longMode(0);
        cpu.setRflags(Flags.FIXED);
        long rsp = cpu.gpr[CpuState.RSP] - 8;
        m.put64(rsp, Flags.IOPL | Flags.IF | Flags.VIF);
        cpu.gpr[CpuState.RSP] = rsp;
        assertEquals(Status.CONTINUE, m.exec("9d"));
        assertEquals(Flags.FIXED | Flags.IOPL | Flags.IF, cpu.getRflags());
    }

    @Test
    void pushfClearsRfAndVmInTheImageAndPopf16OnlyReachesTheLowWord() {
        m.longMode(0);
        cpu.setRflags(Flags.FIXED | Flags.RF | Flags.AC | Flags.SF);
        assertEquals(Status.CONTINUE, m.exec("9c"));
        assertEquals(Flags.FIXED | Flags.AC | Flags.SF, m.get64(cpu.gpr[CpuState.RSP]));
        cpu.rflags &= ~Flags.RF;
        m.put16(cpu.gpr[CpuState.RSP], Flags.FIXED | Flags.CF);
        assertEquals(Status.CONTINUE, m.exec("66 9d"));
        assertEquals(Flags.FIXED | Flags.AC | Flags.CF, cpu.getRflags(), "popfw keeps the high flags (AC)");
    }

    @Test
    void cliStiNeedIoplAndStiOpensTheShadowOnlyWhenItSetsIf() {
        m.longMode(3);
        cpu.setRflags(Flags.FIXED | Flags.IF);
        assertEquals(GuestException.GP, fault(() -> m.exec("fa")).vector());
        cpu.setRflags(Flags.FIXED | Flags.IOPL);
        assertEquals(Status.CONTINUE, m.exec("fb"));
        assertTrue(cpu.interruptShadow);
        assertNotEquals(0, cpu.rflags & Flags.IF);
        cpu.interruptShadow = false;
        assertEquals(Status.CONTINUE, m.exec("fb"));
        assertFalse(cpu.interruptShadow, "STI with IF already set blocks nothing");
        assertEquals(Status.CONTINUE, m.exec("fa"));
        assertEquals(0, cpu.rflags & Flags.IF);
    }

    @Test
    void carryAndDirectionAndAhFlags() {
        m.longMode(3);
        cpu.setRflags(Flags.FIXED | Flags.OF);
        assertEquals(Status.CONTINUE, m.exec("f9"));              // stc
        assertEquals(Status.CONTINUE, m.exec("f5"));              // cmc
        assertEquals(Status.CONTINUE, m.exec("f5"));              // cmc
        assertEquals(Status.CONTINUE, m.exec("fd"));              // std
        assertEquals(Flags.FIXED | Flags.OF | Flags.CF | Flags.DF, cpu.getRflags());
        assertEquals(Status.CONTINUE, m.exec("9f"));              // lahf
        assertEquals(0x03, (cpu.gpr[CpuState.RAX] >>> 8) & 0xff);
        cpu.gpr[CpuState.RAX] = 0xd500;
        assertEquals(Status.CONTINUE, m.exec("9e"));              // sahf
        assertEquals(Flags.FIXED | Flags.OF | Flags.DF | Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF,
                cpu.getRflags());
    }

    @Test
    void realModeSegmentLoadsComputeTheBaseAndKeepTheLimit() {
        m.realMode();
        cpu.seg[CpuState.DS].limit = 0xffffffff;   // "unreal" mode left over from protected mode
        cpu.gpr[CpuState.RAX] = 0x1234;
        assertEquals(Status.CONTINUE, m.exec("8e d8"));           // mov %ax, %ds
        assertEquals(0x12340, cpu.seg[CpuState.DS].base);
        assertEquals(0xffffffff, cpu.seg[CpuState.DS].limit);
        assertEquals(Status.CONTINUE, m.exec("8c d9"));           // mov %ds, %cx
        assertEquals(0x1234, cpu.gpr[CpuState.RCX] & 0xffff);
        assertEquals(Status.CONTINUE, m.exec("8e d0"));           // mov %ax, %ss
        assertTrue(cpu.interruptShadow, "MOV SS blocks interrupts for one instruction");
    }

    @Test
    void protectedModeSegmentLoadChecks() {
        m.longMode(3);
        cpu.gpr[CpuState.RAX] = KDATA | 3;
        GuestException e = fault(() -> m.exec("8e d8"));
        assertEquals(GuestException.GP, e.vector());
        assertEquals(KDATA, e.errorCode());
        cpu.gpr[CpuState.RAX] = 0x1f8;
        e = fault(() -> m.exec("8e d8"));
        assertEquals(0x1f8, e.errorCode(), "beyond the GDT limit");
        // Not present: #NP naming the selector.
        m.put8(GDT + UDATA + 5, 0x73);
        cpu.gpr[CpuState.RAX] = UDATA | 3;
        e = fault(() -> m.exec("8e c0"));
        assertEquals(GuestException.NP, e.vector());
        m.put8(GDT + UDATA + 5, 0xf3);
        assertEquals(Status.CONTINUE, m.exec("8e c0"));
        assertEquals(UDATA | 3, cpu.seg[CpuState.ES].selector);
        // A null selector makes DS unusable; a null SS at CPL 3 is refused.
        cpu.gpr[CpuState.RAX] = 0;
        assertEquals(Status.CONTINUE, m.exec("8e d8"));
        assertTrue(cpu.seg[CpuState.DS].unusable);
        e = fault(() -> m.exec("8e d0"));
        assertEquals(0, e.errorCode());
    }

    @Test
    void nullSsIsAllowedAtRing0In64BitMode() {
        m.longMode(0);
        cpu.gpr[CpuState.RAX] = 0;
        assertEquals(Status.CONTINUE, m.exec("8e d0"));
        assertEquals(0, cpu.cpl());
        assertTrue(cpu.seg[CpuState.SS].unusable);
    }

    @Test
    void pushAndPopOfASegmentRegister() {
        m.longMode(0);
        long rsp = cpu.gpr[CpuState.RSP];
        m.put64(rsp - 8, -1L);
        assertEquals(Status.CONTINUE, m.exec("0f a0"));           // push %fs
        assertEquals(rsp - 8, cpu.gpr[CpuState.RSP]);
        assertEquals(KDATA, m.get64(rsp - 8), "64-bit slot, zero-extended selector");
        m.put64(rsp - 8, UDATA | 3);
        m.longMode(3);
        cpu.gpr[CpuState.RSP] = rsp - 8;
        assertEquals(Status.CONTINUE, m.exec("0f a9"));           // pop %gs
        assertEquals(UDATA | 3, cpu.seg[CpuState.GS].selector);
        assertEquals(rsp, cpu.gpr[CpuState.RSP]);
    }

    @Test
    void pushOfASegmentRegisterWith32BitOperandsStoresOnlyTheSelector() {
        m.protectedMode32(0);
        long esp = cpu.gpr[CpuState.RSP];
        m.put32(esp - 4, 0xaaaaaaaaL);
        assertEquals(Status.CONTINUE, m.exec("1e"));              // push %ds
        assertEquals(esp - 4, cpu.gpr[CpuState.RSP]);
        assertEquals(0xaaaa0000L | KDATA, m.get32(esp - 4));
    }

    @Test
    void swapgsExchangesTheBases() {
        m.longMode(0);
        cpu.seg[CpuState.GS].base = 0x1000;
        cpu.kernelGsBase = 0xffff_8000_0000_0000L;
        assertEquals(Status.CONTINUE, m.exec("0f 01 f8"));
        assertEquals(0xffff_8000_0000_0000L, cpu.seg[CpuState.GS].base);
        assertEquals(0x1000, cpu.kernelGsBase);
        m.longMode(3);
        assertEquals(GuestException.GP, fault(() -> m.exec("0f 01 f8")).vector());
    }

    @Test
    void larLslVerrVerwAnswerInZfWithoutFaulting() {
        m.longMode(3);
        cpu.gpr[CpuState.RBX] = UCODE | 3;
        assertEquals(Status.CONTINUE, m.exec("0f 02 c3"));        // lar %bx, %eax
        assertNotEquals(0, cpu.getRflags() & Flags.ZF);
        assertEquals(0x00a0fb00L, cpu.gpr[CpuState.RAX], "G, L, P, DPL 3, code");
        assertEquals(Status.CONTINUE, m.exec("0f 03 c3"));        // lsl %bx, %eax
        assertEquals(0xffffffffL, cpu.gpr[CpuState.RAX]);
        // A ring-0 segment is invisible at CPL 3; so is a selector beyond the GDT.
        cpu.gpr[CpuState.RAX] = 0x1234;
        cpu.gpr[CpuState.RBX] = KDATA;
        assertEquals(Status.CONTINUE, m.exec("0f 03 c3"));
        assertEquals(0, cpu.getRflags() & Flags.ZF);
        assertEquals(0x1234, cpu.gpr[CpuState.RAX], "destination unchanged");
        cpu.gpr[CpuState.RBX] = 0x1f8;
        assertEquals(Status.CONTINUE, m.exec("0f 02 c3"));
        assertEquals(0, cpu.getRflags() & Flags.ZF);
        // VERR of user code (readable), VERW of user code (not writable), VERW of user data.
        cpu.gpr[CpuState.RBX] = UCODE | 3;
        assertEquals(Status.CONTINUE, m.exec("0f 00 e3"));        // verr %bx
        assertNotEquals(0, cpu.getRflags() & Flags.ZF);
        assertEquals(Status.CONTINUE, m.exec("0f 00 eb"));        // verw %bx
        assertEquals(0, cpu.getRflags() & Flags.ZF);
        cpu.gpr[CpuState.RBX] = UDATA | 3;
        assertEquals(Status.CONTINUE, m.exec("0f 00 eb"));
        assertNotEquals(0, cpu.getRflags() & Flags.ZF);
    }

    @Test
    void arplRaisesTheRpl() {
        m.protectedMode32(0);
        cpu.gpr[CpuState.RAX] = 0x10;
        cpu.gpr[CpuState.RBX] = 0x1b;
        assertEquals(Status.CONTINUE, m.exec("63 d8"));           // arpl %bx, %ax
        assertEquals(0x13, cpu.gpr[CpuState.RAX]);
        assertNotEquals(0, cpu.getRflags() & Flags.ZF);
        assertEquals(Status.CONTINUE, m.exec("63 d8"));
        assertEquals(0, cpu.getRflags() & Flags.ZF);
    }
}
