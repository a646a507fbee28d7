package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** RDMSR/WRMSR with KVM's validity rules, the user-space MSR exits, and the VMM's MSR interface. */
class MsrOpsTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;

    @BeforeEach
    void ring0() {
        m.longMode(0);
    }

    @AfterEach
    void close() {
        m.close();
    }

    private int wrmsr(int index, long value) {
        cpu.gpr[CpuState.RCX] = index;
        cpu.gpr[CpuState.RAX] = value & 0xffffffffL;
        cpu.gpr[CpuState.RDX] = value >>> 32;
        return m.exec("0f 30");
    }

    private long rdmsr(int index) {
        cpu.gpr[CpuState.RCX] = index;
        assertEquals(Status.CONTINUE, m.exec("0f 32"));
        return (cpu.gpr[CpuState.RDX] << 32) | cpu.gpr[CpuState.RAX];
    }

    private void assertGp(Runnable r) {
        long rip = cpu.rip;
        GuestException e = assertThrows(GuestException.class, r::run);
        assertEquals(GuestException.GP, e.vector());
        assertEquals(0, e.errorCode());
        assertEquals(rip, cpu.rip);
    }

    @Test
    void eferKeepsLmaRefusesReservedBitsAndLmeChangesWhilePaging() {
        long efer = cpu.efer;
        assertGp(() -> wrmsr(MsrOps.IA32_EFER, efer | (1 << 12)));
        assertGp(() -> wrmsr(MsrOps.IA32_EFER, efer & ~CpuState.EFER_LME));
        // Clearing NXE is fine; LMA stays what the CPU says even when the value written clears it.
        assertEquals(Status.CONTINUE, wrmsr(MsrOps.IA32_EFER, efer & ~(CpuState.EFER_NXE | CpuState.EFER_LMA)));
        assertEquals(efer & ~CpuState.EFER_NXE, cpu.efer);
        assertEquals(efer & ~CpuState.EFER_NXE, rdmsr(MsrOps.IA32_EFER));
    }

    @Test
    void eferLmeNeedsLongModeInTheGuestsCpuid() {
        m.protectedMode32(0);
        cpu.config.cpuid = List.of();
        assertGp(() -> wrmsr(MsrOps.IA32_EFER, CpuState.EFER_LME));
        cpu.config.cpuid = Machine.intelModel();
        assertEquals(Status.CONTINUE, wrmsr(MsrOps.IA32_EFER, CpuState.EFER_LME));
        assertEquals(CpuState.EFER_LME, cpu.efer);
    }

    @Test
    void addressMsrsMustBeCanonicalAndFsBaseIsTheSegmentBase() {
        assertGp(() -> wrmsr(MsrOps.IA32_LSTAR, 0x0000_8000_0000_0000L));
        assertEquals(Status.CONTINUE, wrmsr(MsrOps.IA32_FS_BASE, 0xffff_8000_0000_1000L));
        assertEquals(0xffff_8000_0000_1000L, cpu.seg[CpuState.FS].base);
        assertEquals(0xffff_8000_0000_1000L, rdmsr(MsrOps.IA32_FS_BASE));
    }

    @Test
    void patAcceptsOnlyDefinedMemoryTypes() {
        assertEquals(Status.CONTINUE, wrmsr(MsrOps.IA32_PAT, 0x0007010600070106L));
        assertGp(() -> wrmsr(MsrOps.IA32_PAT, 0x0007010600070102L));
        assertGp(() -> wrmsr(MsrOps.IA32_PAT, 0x0007010600070108L));
        assertEquals(0x0007010600070106L, cpu.pat);
    }

    @Test
    void tscWriteSetsTheCounter() {
        assertEquals(Status.CONTINUE, wrmsr(MsrOps.IA32_TSC, 1L << 40));
        long t = rdmsr(MsrOps.IA32_TSC);
        assertTrue(t >= 1L << 40 && t < (1L << 40) + 2_000_000_000L * 10, "TSC " + t);
    }

    @Test
    void unknownMsrRaisesGpOrExitsWhenUserspaceAsked() {
        assertGp(() -> rdmsr(0x4b564d00));
        cpu.config.userSpaceMsrReasons = MsrOps.REASON_UNKNOWN;
        cpu.gpr[CpuState.RCX] = 0x4b564d00;
        assertEquals(Status.EXIT, m.exec("0f 32"));
        ExitRequest e = cpu.exit;
        assertEquals(ExitRequest.Kind.RDMSR, e.kind);
        assertEquals(0x4b564d00, e.msrIndex);
        assertEquals(MsrOps.REASON_UNKNOWN, e.suberror);
        assertEquals(0x100000, cpu.rip);
        e.msrData = 0x1234_5678_9abc_def0L;
        e.msrError = false;
        assertTrue(ExitCompletion.complete(cpu, m.mem, ExitRequest.Kind.RDMSR));
        assertEquals(0x9abc_def0L, cpu.gpr[CpuState.RAX]);
        assertEquals(0x1234_5678L, cpu.gpr[CpuState.RDX]);
        assertEquals(0x100002, cpu.rip);
    }

    @Test
    void userspaceErrorOnAnMsrExitDeliversGp() {
        cpu.config.userSpaceMsrReasons = MsrOps.REASON_UNKNOWN;
        m.gate64(GuestException.GP, 0x105000, 0, 0, 0xe);
        assertEquals(Status.EXIT, wrmsr(0x4b564d01, 5));
        assertEquals(ExitRequest.Kind.WRMSR, cpu.exit.kind);
        assertEquals(5, cpu.exit.msrData);
        cpu.exit.msrError = true;
        assertTrue(ExitCompletion.complete(cpu, m.mem, ExitRequest.Kind.WRMSR));
        assertEquals(0x105000, cpu.rip);
        assertEquals(0x100000, m.get64(cpu.gpr[CpuState.RSP] + 8), "#GP is a fault at the WRMSR");
    }

    @Test
    void refusedValuesExitOnlyWithTheInvalReason() {
        cpu.config.userSpaceMsrReasons = MsrOps.REASON_UNKNOWN;
        assertGp(() -> wrmsr(MsrOps.IA32_PAT, 2));
        cpu.config.userSpaceMsrReasons = MsrOps.REASON_INVAL;
        assertEquals(Status.EXIT, wrmsr(MsrOps.IA32_PAT, 2));
        assertEquals(MsrOps.REASON_INVAL, cpu.exit.suberror);
    }

    @Test
    void msrAccessAtCpl3RaisesGp() {
        m.longMode(3);
        assertGp(() -> rdmsr(MsrOps.IA32_EFER));
    }

    @Test
    void tscAuxNeedsRdtscpOrRdpidInCpuid() {
        assertGp(() -> rdmsr(MsrOps.IA32_TSC_AUX));
        assertTrue(MsrOps.set(cpu, MsrOps.IA32_TSC_AUX, 7), "the VMM is not gated");
        assertEquals(7L, MsrOps.get(cpu, MsrOps.IA32_TSC_AUX));
    }

    @Test
    void vmmInterfaceListsGetsAndSets() {
        int[] list = MsrOps.indexList();
        assertTrue(list.length > 20);
        for (int i = 1; i < list.length; i++) {
            assertTrue(Integer.compareUnsigned(list[i - 1], list[i]) < 0, "ascending, unsigned");
        }
        for (int index : list) {
            assertNotNull(MsrOps.get(cpu, index), "listed MSR 0x" + Integer.toHexString(index) + " reads");
        }
        assertNull(MsrOps.get(cpu, 0x4b564d00));
        assertFalse(MsrOps.set(cpu, 0x4b564d00, 0));
        assertTrue(MsrOps.set(cpu, MsrOps.IA32_STAR, 0x0023_0010_0000_0000L));
        assertEquals(0x0023_0010_0000_0000L, cpu.star);
        assertTrue(MsrOps.set(cpu, MsrOps.IA32_BIOS_SIGN_ID, 0x5_0000_0000L));
        assertEquals(Status.CONTINUE, wrmsr(MsrOps.IA32_BIOS_SIGN_ID, 0));
        assertEquals(0x5_0000_0000L, rdmsr(MsrOps.IA32_BIOS_SIGN_ID), "guest writes do not change it");
        assertFalse(MsrOps.set(cpu, MsrOps.IA32_MTRRCAP, 0), "read-only");
    }

    @Test
    void apicBaseRefusesReservedBitsAndX2apicWithoutApic() {
        long base = cpu.apicBase;
        assertGp(() -> wrmsr(MsrOps.IA32_APIC_BASE, base | 1));
        assertGp(() -> wrmsr(MsrOps.IA32_APIC_BASE, (base & ~(1L << 11)) | (1L << 10)));
        assertEquals(Status.CONTINUE, wrmsr(MsrOps.IA32_APIC_BASE, 0xfec00000L | (1L << 11)));
        assertEquals(0xfec00000L | (1L << 11), cpu.apicBase);
    }
}
