package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.jit.MemoryPort;

/**
 * The FPU/SSE state image of FXSAVE and FXRSTOR (SDM vol. 1, 10.5.1, table 10-2), and the x87 control-word
 * instructions compilers emit without doing x87 arithmetic (FNSTCW/FLDCW around conversions, FNINIT, FNSTSW).
 *
 * <p>jkvm keeps the x87 control word, status word and the abridged tag word ({@code cpu.ftw}, one bit per register,
 * 1 = valid, the FXSAVE encoding; 0 = all empty). It does not execute x87 arithmetic, so the register stack,
 * FOP and the last instruction/operand pointers are saved as zeros and ignored on restore.
 */
public final class FxState {
    /** Image offsets. */
    static final int FCW = 0, FSW = 2, FTW = 4, FOP = 6, FIP = 8, FDP = 16, MXCSR = 24, MXCSR_MASK = 28,
            ST0 = 32, XMM0 = 160, SIZE = 512;
    /** FNINIT's control word: all x87 exceptions masked, 64-bit precision, round to nearest. */
    public static final int FCW_INIT = 0x37f;

    private FxState() {
    }

    /**
     * FXSAVE/FXSAVE64 m512: 16-byte aligned or #GP(0). Outside 64-bit mode only XMM0-7 are saved. Bytes 416-511 are
     * left alone (reserved and software-available). The caller checked alignment and #NM.
     */
    public static void fxsave(CpuState c, MemoryPort mem, long a) {
        SseChecks.aligned16(a);
        // Probe both ends first so that a page fault leaves the image untouched where the hardware would.
        mem.read(a, 1);
        mem.read(a + SIZE - 1, 1);
        mem.write(a + FCW, 2, c.fcw);
        mem.write(a + FSW, 2, c.fsw);
        mem.write(a + FTW, 2, c.ftw & 0xff); // abridged tag byte and the reserved byte 5
        mem.write(a + FOP, 2, 0);
        mem.write(a + FIP, 8, 0);
        mem.write(a + FDP, 8, 0);
        mem.write(a + MXCSR, 4, c.mxcsr);
        mem.write(a + MXCSR_MASK, 4, Mxcsr.WRITABLE);
        for (int i = 0; i < 8; i++) {
            mem.write(a + ST0 + 16L * i, 8, 0);
            mem.write(a + ST0 + 16L * i + 8, 8, 0);
        }
        int regs = c.is64() ? 16 : 8;
        for (int i = 0; i < regs; i++) {
            mem.write(a + XMM0 + 16L * i, 8, c.xmm[2 * i]);
            mem.write(a + XMM0 + 16L * i + 8, 8, c.xmm[2 * i + 1]);
        }
    }

    /**
     * FXRSTOR/FXRSTOR64 m512: #GP(0) when misaligned or when the MXCSR image sets a reserved bit. Everything is read
     * before anything changes, so a fault leaves the state as it was.
     */
    public static void fxrstor(CpuState c, MemoryPort mem, long a) {
        SseChecks.aligned16(a);
        int mxcsr = (int) mem.read(a + MXCSR, 4);
        if ((mxcsr & ~Mxcsr.WRITABLE) != 0) {
            Mxcsr.load(c, mxcsr); // throws #GP(0)
        }
        int fcw = (int) mem.read(a + FCW, 2);
        int fsw = (int) mem.read(a + FSW, 2);
        int ftw = (int) mem.read(a + FTW, 1);
        int regs = c.is64() ? 16 : 8;
        long[] x = new long[2 * regs];
        for (int i = 0; i < 2 * regs; i++) {
            x[i] = mem.read(a + XMM0 + 8L * i, 8);
        }
        mem.read(a + SIZE - 1, 1);
        c.fcw = controlWord(fcw);
        c.fsw = statusWord(fsw, c.fcw);
        c.ftw = ftw;
        c.mxcsr = mxcsr;
        System.arraycopy(x, 0, c.xmm, 0, x.length);
    }

    /** FNINIT: default control word, status and tags cleared (all registers empty). */
    public static void fninit(CpuState c) {
        c.fcw = FCW_INIT;
        c.fsw = 0;
        c.ftw = 0;
    }

    /** FNCLEX: clears the exception flags, the exception summary, stack fault and busy bits of the status word. */
    public static void fnclex(CpuState c) {
        c.fsw &= 0x7f00;
    }

    /**
     * The control word as the FPU keeps it: the reserved bits 7 and 13-15 read as zero and bit 6 as one (what FNSTCW
     * and FXSAVE return on hardware after FLDCW or FXRSTOR of any value; host-verified).
     */
    static int controlWord(long value) {
        return ((int) value & 0x1f3f) | 0x40;
    }

    /**
     * The status word as the FPU keeps it: the error summary (ES, bit 7) and busy (B, bit 15) bits are not stored but
     * say whether an exception flag (bits 0-5) is set whose mask in the control word is clear (host-verified after
     * FXRSTOR of arbitrary images).
     */
    static int statusWord(long value, int fcw) {
        int fsw = (int) value & 0x7f7f;
        return (fsw & ~fcw & 0x3f) != 0 ? fsw | 0x8080 : fsw;
    }

    /**
     * WAIT/FWAIT and EMMS: #MF when an unmasked x87 exception is pending (ES set). jkvm raises #MF as with CR0.NE=1,
     * which every protected-mode OS sets; the legacy FERR#/IRQ 13 route is not modelled.
     */
    public static void waitForFpu(CpuState c) {
        if ((c.fsw & 0x80) != 0) {
            throw io.jkvm.translator.cpu.GuestException.of(io.jkvm.translator.cpu.GuestException.MF,
                    "pending unmasked x87 exception");
        }
    }

    /** FLDCW m16. */
    public static void fldcw(CpuState c, long value) {
        c.fcw = controlWord(value);
        c.fsw = statusWord(c.fsw, c.fcw);
    }

    /**
     * EMMS: marks every x87 register empty, after the pending-exception check (EMMS is a waiting instruction). Like
     * every MMX instruction it also resets the stack top (TOP, FSW bits 13:11) to 0 (host-verified).
     */
    public static void emms(CpuState c) {
        waitForFpu(c);
        c.fsw &= ~0x3800;
        c.ftw = 0;
    }

    /** LDMXCSR m32: #GP(0) for reserved bits. */
    public static void ldmxcsr(CpuState c, long value) {
        Mxcsr.load(c, (int) value);
    }
}
