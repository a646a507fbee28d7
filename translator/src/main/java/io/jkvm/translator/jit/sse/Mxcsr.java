package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;

/**
 * The SSE control/status register (SDM vol. 1, 10.2.3) and the two things every SIMD floating-point instruction does
 * with it: read the controls (rounding, DAZ, FTZ, masks) and report exceptions (sticky flags, #XM).
 *
 * <p>How exceptions are reported. Fast paths never raise a flag: they only run when the instruction provably raises
 * none that is not already set (see {@link #FAST_ARITH}). Slow paths run one instruction between {@link #begin} and
 * {@link #end}: {@code begin} clears the sticky flags so that each lane can simply OR what it detects into
 * {@code cpu.mxcsr}, and {@code end} restores the old flags and decides whether the instruction traps. That keeps
 * the per-instruction accumulator in the CPU state without a field of its own and without allocation.
 */
public final class Mxcsr {
    /** Exception flags: invalid operation, denormal operand, divide by zero, overflow, underflow, precision. */
    public static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20;
    public static final int FLAGS = 0x3f;
    /** The flags detected before computing (an unmasked one stops the instruction before any rounding). */
    public static final int PRE = IE | DE | ZE;
    /** Denormals are zeros: denormal source operands read as zeros of the same sign, DE is never raised. */
    public static final int DAZ = 0x40;
    /** Exception masks, the flags shifted left by this much (IM = bit 7 ... PM = bit 12). */
    public static final int MASK_SHIFT = 7;
    public static final int MASKS = FLAGS << MASK_SHIFT;
    public static final int RC_SHIFT = 13;
    public static final int RC = 3 << RC_SHIFT;
    /** Rounding-control values (MXCSR.RC, also the x87 RC encoding). */
    public static final int NEAREST = 0, DOWN = 1, UP = 2, TOWARD_ZERO = 3;
    /** Flush to zero: tiny results become zeros when underflow is masked. */
    public static final int FTZ = 0x8000;
    /** Power-up and reset value: everything masked, round to nearest, no DAZ/FTZ. */
    public static final int DEFAULT = 0x1f80;
    /**
     * MXCSR_MASK as FXSAVE reports it: the writable bits. DAZ is supported (bit 6), bits 16-31 are reserved and
     * writing a one there raises #GP.
     */
    public static final int WRITABLE = 0xffff;

    /**
     * The MXCSR bits that select the fast arithmetic paths: default controls (all exceptions masked, round to
     * nearest, no DAZ, no FTZ) and PE already set. PE is sticky and set by the first inexact operation, so after
     * that an operation whose operands and result are ordinary numbers can raise nothing new: no flag needs to be
     * computed at all. Other flags may have any value (they are outside this mask).
     */
    public static final int FAST_ARITH_MASK = 0xffe0;
    public static final int FAST_ARITH = DEFAULT | PE;

    private Mxcsr() {
    }

    public static int roundingControl(int mxcsr) {
        return (mxcsr >>> RC_SHIFT) & 3;
    }

    /** True when the default-controls fast path of an arithmetic instruction applies (see {@link #FAST_ARITH}). */
    public static boolean fastArith(int mxcsr) {
        return (mxcsr & FAST_ARITH_MASK) == FAST_ARITH;
    }

    /** Starts the slow path of one instruction; returns the sticky flags to give to {@link #end}. */
    public static int begin(CpuState cpu) {
        int m = cpu.mxcsr;
        cpu.mxcsr = m & ~FLAGS;
        return m & FLAGS;
    }

    /**
     * Ends the slow path of one instruction, before it writes any result. The lanes have ORed what they detected
     * into {@code cpu.mxcsr}. If an unmasked exception was detected the instruction does not complete (SDM vol. 1,
     * 11.5.3): an unmasked pre-computation exception (IE, DE, ZE) stops every lane before computing, so only the
     * pre-computation flags are reported; otherwise all detected flags are. Then #XM is raised, or #UD when the OS
     * has not set CR4.OSXMMEXCPT (SDM vol. 3, 6.15 "Interrupt 19").
     */
    public static void end(CpuState cpu, int before) {
        int m = cpu.mxcsr;
        int raised = m & FLAGS;
        int unmasked = raised & ~(m >>> MASK_SHIFT);
        if ((unmasked & PRE) != 0) {
            cpu.mxcsr = (m & ~FLAGS) | before | (raised & PRE);
            throw simdException(cpu);
        }
        cpu.mxcsr = m | before;
        if (unmasked != 0) {
            throw simdException(cpu);
        }
    }

    /** Abandons a slow path that raised nothing (restores the sticky flags). */
    public static void abort(CpuState cpu, int before) {
        cpu.mxcsr |= before;
    }

    /** The exception an unmasked SIMD floating-point exception delivers. */
    public static GuestException simdException(CpuState cpu) {
        if ((cpu.cr4 & CpuState.CR4_OSXMMEXCPT) != 0) {
            return GuestException.of(GuestException.XM, "unmasked SIMD floating-point exception");
        }
        return GuestException.ud("unmasked SIMD floating-point exception with CR4.OSXMMEXCPT=0");
    }

    /** LDMXCSR and FXRSTOR: #GP(0) when a reserved bit is set (SDM vol. 2, LDMXCSR). */
    public static void load(CpuState cpu, int value) {
        if ((value & ~WRITABLE) != 0) {
            throw GuestException.gp(0, "reserved MXCSR bits set: 0x" + Integer.toHexString(value));
        }
        cpu.mxcsr = value;
    }
}
