package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;

/**
 * The faults an SSE, x87-control or MMX-state instruction raises before touching any operand, called by generated
 * code at the start of the instruction. CR0 and CR4 can change at any time (CLTS and MOV CR0 on every lazy FPU
 * switch of an OS that does it), so the test is made at run time: two field loads and one branch, which C2 hoists
 * out of loops that do not write the control registers.
 */
public final class SseChecks {
    private SseChecks() {
    }

    /**
     * SSE/SSE2 instructions, LDMXCSR, STMXCSR: #UD when CR0.EM=1 or CR4.OSFXSR=0, else #NM when CR0.TS=1 (SDM vol. 3,
     * table 2-3 "Effect of the MP, EM, and TS flags", and 13.1.3: without OSFXSR the SSE instructions are #UD).
     */
    public static void sse(CpuState c) {
        if (((c.cr0 & (CpuState.CR0_EM | CpuState.CR0_TS)) | (~c.cr4 & CpuState.CR4_OSFXSR)) != 0) {
            throw sseFault(c);
        }
    }

    private static GuestException sseFault(CpuState c) {
        if ((c.cr0 & CpuState.CR0_EM) != 0 || (c.cr4 & CpuState.CR4_OSFXSR) == 0) {
            return GuestException.ud("SSE instruction with CR0.EM=1 or CR4.OSFXSR=0");
        }
        return GuestException.of(GuestException.NM, "SSE instruction with CR0.TS=1");
    }

    /** x87 control instructions (FNSTCW, FLDCW, FNSTSW, FNINIT, FNCLEX) and FXSAVE/FXRSTOR: #NM when CR0.EM or CR0.TS. */
    public static void x87(CpuState c) {
        if ((c.cr0 & (CpuState.CR0_EM | CpuState.CR0_TS)) != 0) {
            throw GuestException.of(GuestException.NM, "x87 instruction with CR0.EM or CR0.TS set");
        }
    }

    /** WAIT/FWAIT: #NM only when both CR0.MP and CR0.TS are set (table 2-3). */
    public static void fwait(CpuState c) {
        if ((c.cr0 & (CpuState.CR0_MP | CpuState.CR0_TS)) == (CpuState.CR0_MP | CpuState.CR0_TS)) {
            throw GuestException.of(GuestException.NM, "WAIT with CR0.MP and CR0.TS set");
        }
    }

    /** EMMS: #UD when CR0.EM, else #NM when CR0.TS. */
    public static void mmx(CpuState c) {
        if ((c.cr0 & CpuState.CR0_EM) != 0) {
            throw GuestException.ud("MMX instruction with CR0.EM=1");
        }
        if ((c.cr0 & CpuState.CR0_TS) != 0) {
            throw GuestException.of(GuestException.NM, "MMX instruction with CR0.TS=1");
        }
    }

    /** The 16-byte alignment of MOVAPS/MOVDQA/... and of legacy SSE arithmetic with a 128-bit memory operand. */
    public static void aligned16(long linearAddress) {
        if ((linearAddress & 15) != 0) {
            throw GuestException.gp(0, "misaligned 16-byte SSE memory operand at 0x" + Long.toHexString(linearAddress));
        }
    }
}
