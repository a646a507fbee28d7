package io.jkvm.translator.jit.sys;

import io.jkvm.mmu.PagingMode;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.translator.jit.sys.Machine.*;
import static org.junit.jupiter.api.Assertions.*;

/** MOV CR/DR, LMSW, SMSW, CLTS, INVLPG; entering long mode; and the descriptor-table instructions. */
class ControlRegisterOpsTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;

    @AfterEach
    void close() {
        m.close();
    }

    private void assertFault(int vector, Runnable r) {
        long rip = cpu.rip;
        GuestException e = assertThrows(GuestException.class, r::run);
        assertEquals(vector, e.vector());
        assertEquals(rip, cpu.rip);
    }

    /** The multiboot path of the boot stub: CR4.PAE, CR3, EFER.LME, then CR0.PG|PE from 32-bit code. */
    @Test
    void settingCr0PgWithEferLmeEntersLongMode() {
        m.protectedMode32(0);
        m.buildPageTables();
        cpu.gpr[CpuState.RAX] = CpuState.CR4_PAE;
        assertEquals(Status.CONTINUE, m.exec("0f 22 e0"));        // mov %eax, %cr4
        cpu.gpr[CpuState.RAX] = PML4;
        assertEquals(Status.CONTINUE, m.exec("0f 22 d8"));        // mov %eax, %cr3
        cpu.gpr[CpuState.RCX] = MsrOps.IA32_EFER;
        cpu.gpr[CpuState.RAX] = CpuState.EFER_LME;
        cpu.gpr[CpuState.RDX] = 0;
        assertEquals(Status.CONTINUE, m.exec("0f 30"));           // wrmsr
        cpu.gpr[CpuState.RAX] = cpu.cr0 | CpuState.CR0_PG;
        assertEquals(Status.CONTINUE, m.exec("0f 22 c0"));        // mov %eax, %cr0

        assertNotEquals(0, cpu.efer & CpuState.EFER_LMA);
        assertTrue(cpu.longMode());
        assertFalse(cpu.is64(), "compatibility mode until a far jump loads a 64-bit CS");
        assertEquals(PagingMode.LONG4, m.mmu.pagingMode());
        assertEquals(4, cpu.instructions);
    }

    @Test
    void enteringLongModeWithoutPaeIsRefused() {
        m.protectedMode32(0);
        cpu.efer = CpuState.EFER_LME;
        m.sync();
        cpu.gpr[CpuState.RAX] = cpu.cr0 | CpuState.CR0_PG;
        assertFault(GuestException.GP, () -> m.exec("0f 22 c0"));
        assertEquals(0, cpu.cr0 & CpuState.CR0_PG);
        assertEquals(0, cpu.efer & CpuState.EFER_LMA);
    }

    @Test
    void cr0ChecksAndIgnoredBits() {
        m.longMode(0);
        long cr0 = cpu.cr0;
        cpu.gpr[CpuState.RAX] = cr0 | CpuState.CR0_NW;
        assertFault(GuestException.GP, () -> m.exec("0f 22 c0"));
        cpu.gpr[CpuState.RAX] = cr0 | (1L << 32);
        assertFault(GuestException.GP, () -> m.exec("0f 22 c0"));
        cpu.gpr[CpuState.RAX] = cr0 & ~CpuState.CR0_PG;
        assertFault(GuestException.GP, () -> m.exec("0f 22 c0"));
        // Bits 31:0 outside the architectural set are dropped, ET always reads as 1.
        cpu.gpr[CpuState.RAX] = (cr0 | (1L << 20)) & ~CpuState.CR0_ET;
        assertEquals(Status.CONTINUE, m.exec("0f 22 c0"));
        assertEquals(cr0, cpu.cr0);
    }

    @Test
    void cr4ReservedAndLongModeRules() {
        m.longMode(0);
        cpu.gpr[CpuState.RAX] = cpu.cr4 | (1L << 13);   // VMXE: no nested virtualization
        assertFault(GuestException.GP, () -> m.exec("0f 22 e0"));
        cpu.gpr[CpuState.RAX] = cpu.cr4 | CpuState.CR4_SMEP;   // not in the guest's CPUID
        assertFault(GuestException.GP, () -> m.exec("0f 22 e0"));
        cpu.gpr[CpuState.RAX] = 0;
        assertFault(GuestException.GP, () -> m.exec("0f 22 e0"));
        cpu.gpr[CpuState.RAX] = cpu.cr4 | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;
        assertEquals(Status.CONTINUE, m.exec("0f 22 e0"));
        assertEquals(CpuState.CR4_PAE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT, cpu.cr4);
    }

    @Test
    void readsWritesAndPrivilege() {
        m.longMode(0);
        cpu.cr2 = 0xdead_beef_0000L;
        assertEquals(Status.CONTINUE, m.exec("0f 20 d3"));        // mov %cr2, %rbx
        assertEquals(0xdead_beef_0000L, cpu.gpr[CpuState.RBX]);
        cpu.gpr[CpuState.RAX] = 0xf;
        assertEquals(Status.CONTINUE, m.exec("44 0f 22 c0"));     // mov %rax, %cr8
        assertEquals(0xf, cpu.cr8);
        cpu.gpr[CpuState.RAX] = 0x10;
        assertFault(GuestException.GP, () -> m.exec("44 0f 22 c0"));
        assertFault(GuestException.UD, () -> m.exec("0f 20 c8")); // mov %cr1, %rax
        cpu.gpr[CpuState.RAX] = 1L << 50;
        assertFault(GuestException.GP, () -> m.exec("0f 22 d8"), "CR3 beyond MAXPHYADDR");

        m.longMode(3);
        assertFault(GuestException.GP, () -> m.exec("0f 20 c0"));
    }

    private void assertFault(int vector, Runnable r, String why) {
        long rip = cpu.rip;
        GuestException e = assertThrows(GuestException.class, r::run, why);
        assertEquals(vector, e.vector(), why);
        assertEquals(rip, cpu.rip, why);
    }

    @Test
    void debugRegistersKeepKvmsFixedBits() {
        m.longMode(0);
        cpu.gpr[CpuState.RAX] = 0;
        assertEquals(Status.CONTINUE, m.exec("0f 23 f0"));        // mov %rax, %dr6
        assertEquals(0xffff0ff0L, cpu.dr6);
        cpu.gpr[CpuState.RAX] = 0x3;
        assertEquals(Status.CONTINUE, m.exec("0f 23 f8"));        // mov %rax, %dr7
        assertEquals(0x403, cpu.dr7);
        cpu.gpr[CpuState.RAX] = 1L << 32;
        assertFault(GuestException.GP, () -> m.exec("0f 23 f8"));
        // DR4 aliases DR6 unless CR4.DE.
        assertEquals(Status.CONTINUE, m.exec("0f 21 e1"));        // mov %dr4, %rcx
        assertEquals(0xffff0ff0L, cpu.gpr[CpuState.RCX]);
    }

    @Test
    void lmswSetsButNeverClearsPeAndCltsClearsTs() {
        m.realMode();
        cpu.gpr[CpuState.RAX] = 1 | CpuState.CR0_TS;
        assertEquals(Status.CONTINUE, m.exec("0f 01 f0"));        // lmsw %ax
        assertNotEquals(0, cpu.cr0 & CpuState.CR0_PE);
        cpu.gpr[CpuState.RAX] = 0;
        assertEquals(Status.CONTINUE, m.exec("0f 01 f0"));
        assertNotEquals(0, cpu.cr0 & CpuState.CR0_PE, "LMSW cannot leave protected mode");
        assertEquals(0, cpu.cr0 & CpuState.CR0_TS);
        cpu.cr0 |= CpuState.CR0_TS;
        assertEquals(Status.CONTINUE, m.exec("0f 06"));           // clts
        assertEquals(0, cpu.cr0 & CpuState.CR0_TS);
    }

    @Test
    void smswStoresCr0AndIsPrivilegedOnlyUnderUmip() {
        m.longMode(3);
        assertEquals(Status.CONTINUE, m.exec("0f 01 e0"));        // smsw %eax
        assertEquals(cpu.cr0 & 0xffffffffL, cpu.gpr[CpuState.RAX]);
        cpu.cr4 |= CpuState.CR4_UMIP;
        assertFault(GuestException.GP, () -> m.exec("0f 01 e0"));
    }

    @Test
    void invlpgDropsTheTranslation() {
        m.longMode(0);
        m.splitSecondLargePage();
        cpu.gpr[CpuState.RDI] = 0x203000;
        assertEquals(0, m.mem.read(0x203011, 1));
        // Map the page elsewhere without flushing: the old translation is still cached until INVLPG.
        m.put8(0x204011, 0x77);
        m.put64(PT + 3 * 8, 0x204000 | PTE_P | PTE_RW | PTE_US);
        assertEquals(0, m.mem.read(0x203011, 1));
        assertEquals(Status.CONTINUE, m.exec("0f 01 3f"));        // invlpg (%rdi)
        assertEquals(0x77, m.mem.read(0x203011, 1));
    }

    @Test
    void lgdtSgdtAndTheirOperandSizes() {
        m.longMode(0);
        m.put16(0x5000, 0x7f);
        m.put64(0x5002, 0xffff_8000_0000_2000L);
        cpu.gpr[CpuState.RAX] = 0x5000;
        assertEquals(Status.CONTINUE, m.exec("0f 01 10"));        // lgdt (%rax)
        assertEquals(0x7f, cpu.gdtLimit);
        assertEquals(0xffff_8000_0000_2000L, cpu.gdtBase);
        cpu.gpr[CpuState.RAX] = 0x6000;
        assertEquals(Status.CONTINUE, m.exec("0f 01 00"));        // sgdt (%rax)
        assertEquals(0x7f, m.get16(0x6000));
        assertEquals(0xffff_8000_0000_2000L, m.get64(0x6002));

        m.protectedMode32(0);
        m.put16(0x5000, 0x3f);
        m.put32(0x5002, 0x12345678);
        cpu.gpr[CpuState.RAX] = 0x5000;
        assertEquals(Status.CONTINUE, m.exec("66 0f 01 10"));     // lgdtw: a 24-bit base
        assertEquals(0x345678, cpu.gdtBase);
    }

    @Test
    void ltrLoadsThe16ByteTssAndMarksItBusy() {
        m.longMode(0);
        cpu.tr.loadNull(0);
        cpu.gpr[CpuState.RAX] = TSS_SEL;
        assertEquals(Status.CONTINUE, m.exec("0f 00 d8"));        // ltr %ax
        assertEquals(TSS_SEL, cpu.tr.selector);
        assertEquals(TSS, cpu.tr.base);
        assertEquals(0x67, cpu.tr.limit);
        assertEquals(0xb, cpu.tr.type);
        assertEquals(0x8b, m.get8(GDT + TSS_SEL + 5), "busy in the GDT");
        // Loading a busy TSS again is refused.
        GuestException e = assertThrows(GuestException.class, () -> m.exec("0f 00 d8"));
        assertEquals(GuestException.GP, e.vector());
        assertEquals(TSS_SEL, e.errorCode());
        cpu.gpr[CpuState.RAX] = KDATA;
        assertThrows(GuestException.class, () -> m.exec("0f 00 d8"));
        assertEquals(Status.CONTINUE, m.exec("0f 00 c8"));        // str %ax
        assertEquals(TSS_SEL, cpu.gpr[CpuState.RAX] & 0xffff);
    }

    @Test
    void lldtRequiresAnLdtDescriptorAndAcceptsNull() {
        m.protectedMode32(0);
        m.put64(GDT + 0x50, 0xfff | (0x8000L << 16) | (0x82L << 40));
        cpu.gdtLimit = 0x57;
        cpu.gpr[CpuState.RAX] = 0x50;
        assertEquals(Status.CONTINUE, m.exec("0f 00 d0"));        // lldt %ax
        assertEquals(0x8000, cpu.ldtr.base);
        assertEquals(0xfff, cpu.ldtr.limit);
        cpu.gpr[CpuState.RAX] = KDATA;
        assertThrows(GuestException.class, () -> m.exec("0f 00 d0"));
        cpu.gpr[CpuState.RAX] = 0;
        assertEquals(Status.CONTINUE, m.exec("0f 00 d0"));
        assertTrue(cpu.ldtr.unusable);
        m.realMode();
        assertFault(GuestException.UD, () -> m.exec("0f 00 d0"));
    }
}
