package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Mnemonic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.jkvm.translator.jit.sse.OracleHarness.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The faults a user-mode host process cannot provoke, because the kernel owns CR0 and CR4: #UD and #NM from
 * CR0.EM/TS/MP and CR4.OSFXSR (SDM vol. 3, table 2-3 and section 13.1.3; vol. 2, the "Protected Mode Exceptions" of
 * each instruction), and #UD instead of #XM without CR4.OSXMMEXCPT (vol. 3, 6.15 interrupt 19). A faulting
 * instruction must leave the registers as they were.
 */
class SseFaultsTest {
    static GuestCpu guest;

    @BeforeAll
    static void start() {
        guest = new GuestCpu(0);
    }

    @AfterAll
    static void stop() {
        guest.close();
    }

    private static final long BASE_CR0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_ET | CpuState.CR0_NE;
    private static final long BASE_CR4 = CpuState.CR4_PAE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;

    /** Runs {@code code} with the given control registers; returns the exception vector, or -1 when none. */
    private static int run(byte[] code, long cr0, long cr4, int mxcsr, HostCpu.Exec state) {
        int form = guest.place(code);
        CpuState c = guest.cpu();
        c.cr0 = cr0;
        c.cr4 = cr4;
        state.mxcsr = mxcsr;
        guest.run(form, state);
        c.cr0 = BASE_CR0 | CpuState.CR0_MP;
        c.cr4 = BASE_CR4;
        GuestException e = guest.lastException();
        return e == null ? -1 : e.vector();
    }

    private static int run(byte[] code, long cr0, long cr4) {
        HostCpu.Exec e = new HostCpu.Exec(code);
        e.gpr[CpuState.RDI] = 0; // rebased onto the data page
        return run(code, cr0, cr4, 0x1f80, e);
    }

    private static final byte[] ADDPS = bytes(0x0f, 0x58, 0xc1);
    private static final byte[] LDMXCSR = bytes(0x0f, 0xae, 0x17);
    private static final byte[] FXSAVE = bytes(0x0f, 0xae, 0x07);
    private static final byte[] FNSTCW = bytes(0xd9, 0x3f);
    private static final byte[] EMMS = bytes(0x0f, 0x77);
    private static final byte[] FWAIT = bytes(0x9b);
    private static final byte[] MOVNTI = bytes(0x0f, 0xc3, 0x07);

    @Test
    void sseNeedsOsfxsrAndNoEmulationAndIsLazyFpuAware() {
        assertEquals(-1, run(ADDPS, BASE_CR0, BASE_CR4));
        assertEquals(GuestException.NM, run(ADDPS, BASE_CR0 | CpuState.CR0_TS, BASE_CR4));
        assertEquals(GuestException.UD, run(ADDPS, BASE_CR0 | CpuState.CR0_EM, BASE_CR4));
        assertEquals(GuestException.UD, run(ADDPS, BASE_CR0 | CpuState.CR0_EM | CpuState.CR0_TS, BASE_CR4),
                "#UD outranks #NM");
        assertEquals(GuestException.UD, run(ADDPS, BASE_CR0, BASE_CR4 & ~CpuState.CR4_OSFXSR));
        assertEquals(GuestException.UD, run(LDMXCSR, BASE_CR0, BASE_CR4 & ~CpuState.CR4_OSFXSR));
        assertEquals(GuestException.NM, run(LDMXCSR, BASE_CR0 | CpuState.CR0_TS, BASE_CR4));
    }

    @Test
    void x87ControlAndFxsaveFollowEmAndTs() {
        GuestCpu.assumeExecuted(Mnemonic.FNSTCW, Mnemonic.EMMS, Mnemonic.FWAIT);
        assertEquals(-1, run(FXSAVE, BASE_CR0, BASE_CR4 & ~CpuState.CR4_OSFXSR), "FXSAVE does not need OSFXSR");
        assertEquals(GuestException.NM, run(FXSAVE, BASE_CR0 | CpuState.CR0_EM, BASE_CR4));
        assertEquals(GuestException.NM, run(FXSAVE, BASE_CR0 | CpuState.CR0_TS, BASE_CR4));
        assertEquals(GuestException.NM, run(FNSTCW, BASE_CR0 | CpuState.CR0_EM, BASE_CR4));
        assertEquals(GuestException.NM, run(FNSTCW, BASE_CR0 | CpuState.CR0_TS, BASE_CR4));
        assertEquals(-1, run(FNSTCW, BASE_CR0, BASE_CR4 & ~CpuState.CR4_OSFXSR));
        assertEquals(GuestException.UD, run(EMMS, BASE_CR0 | CpuState.CR0_EM, BASE_CR4));
        assertEquals(GuestException.NM, run(EMMS, BASE_CR0 | CpuState.CR0_TS, BASE_CR4));
        assertEquals(GuestException.NM, run(FWAIT, BASE_CR0 | CpuState.CR0_TS | CpuState.CR0_MP, BASE_CR4));
        assertEquals(-1, run(FWAIT, BASE_CR0 | CpuState.CR0_TS, BASE_CR4), "WAIT ignores TS without MP");
        assertEquals(-1, run(MOVNTI, BASE_CR0 | CpuState.CR0_TS | CpuState.CR0_EM, BASE_CR4 & ~CpuState.CR4_OSFXSR),
                "MOVNTI is a general-purpose store");
    }

    @Test
    void unmaskedSimdExceptionIsXmWithOsxmmexceptElseUdAndChangesNoRegister() {
        // 1.0 / 0.0 with ZE unmasked.
        HostCpu.Exec e = new HostCpu.Exec(bytes(0xf2, 0x0f, 0x5e, 0xc1));
        e.xmm[0] = Double.doubleToRawLongBits(1.0);
        e.xmm[1] = 0x1234;
        e.xmm[2] = 0;
        long[] before = e.xmm.clone();
        int unmaskedZe = 0x1f80 & ~(Mxcsr.ZE << Mxcsr.MASK_SHIFT);
        assertEquals(GuestException.XM, run(e.code, BASE_CR0, BASE_CR4, unmaskedZe, e));
        assertArrayEquals(before, e.xmm);
        assertEquals(unmaskedZe | Mxcsr.ZE, e.mxcsr, "the flag is set even though the instruction traps");
        HostCpu.Exec u = new HostCpu.Exec(e.code);
        u.xmm[0] = Double.doubleToRawLongBits(1.0);
        assertEquals(GuestException.UD, run(u.code, BASE_CR0, BASE_CR4 & ~CpuState.CR4_OSXMMEXCPT, unmaskedZe, u));
        HostCpu.Exec masked = new HostCpu.Exec(e.code);
        masked.xmm[0] = Double.doubleToRawLongBits(1.0);
        assertEquals(-1, run(masked.code, BASE_CR0, BASE_CR4, 0x1f80, masked));
        assertEquals(Double.POSITIVE_INFINITY, Double.longBitsToDouble(masked.xmm[0]));
        assertNull(guest.lastException());
    }
}
