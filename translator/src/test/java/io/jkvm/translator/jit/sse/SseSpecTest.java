package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Cases the SDM and IEEE 754 spell out, checked on the semantics directly, so that SSE keeps some coverage on
 * machines where the host-CPU oracle cannot run (no gcc, not x86). Each expectation cites the rule it comes from;
 * the oracle tests check the same rules, and everything else, against real hardware.
 */
class SseSpecTest {
    private static final long QNAN_INDEFINITE = 0xfff8_0000_0000_0000L;

    private static CpuState cpu(int mxcsr) {
        CpuState c = new CpuState();
        c.cr4 |= CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;
        c.mxcsr = mxcsr;
        return c;
    }

    private static long bits(double d) {
        return Double.doubleToRawLongBits(d);
    }

    @Test
    void invalidOperationsReturnTheNegativeQuietNanIndefinite() {
        // SDM vol. 1, 4.8.3.7 and table 4-7: inf - inf has no NaN operand, so the result is the QNaN indefinite.
        CpuState c = cpu(Mxcsr.DEFAULT);
        c.xmm[0] = bits(Double.POSITIVE_INFINITY);
        SseFloat.subsd(c, 0, bits(Double.POSITIVE_INFINITY));
        assertEquals(QNAN_INDEFINITE, c.xmm[0]);
        assertEquals(Mxcsr.DEFAULT | Mxcsr.IE, c.mxcsr);
    }

    @Test
    void theFirstSourceNanWinsAndIsQuieted() {
        // Table 4-7, SSE column: SNaN and QNaN operands -> the first source operand, an SNaN converted to a QNaN.
        CpuState c = cpu(Mxcsr.DEFAULT);
        long snan = 0x7ff0_0000_0000_0123L, qnan = 0xfff8_0000_0000_0456L;
        c.xmm[0] = snan;
        SseFloat.addsd(c, 0, qnan);
        assertEquals(snan | (1L << 51), c.xmm[0]);
        assertEquals(Mxcsr.DEFAULT | Mxcsr.IE, c.mxcsr, "an SNaN operand signals invalid");
    }

    @Test
    void minAndMaxReturnTheSecondOperandForNansAndZeros() {
        // MINSD: "If only one value is a NaN ... the second operand ... is written"; "If the values being compared
        // are both 0.0s (of either sign), the value in the second operand is returned". Any NaN signals IE.
        CpuState c = cpu(Mxcsr.DEFAULT);
        c.xmm[0] = 0x7ff8_0000_0000_0000L;
        SseFloat.minsd(c, 0, bits(1.0));
        assertEquals(bits(1.0), c.xmm[0]);
        assertEquals(Mxcsr.DEFAULT | Mxcsr.IE, c.mxcsr);
        c.xmm[0] = bits(0.0);
        SseFloat.minsd(c, 0, bits(-0.0));
        assertEquals(bits(-0.0), c.xmm[0]);
        c.xmm[0] = bits(-0.0);
        SseFloat.maxsd(c, 0, bits(0.0));
        assertEquals(bits(0.0), c.xmm[0]);
    }

    @Test
    void outOfRangeConversionsGiveTheIntegerIndefinite() {
        // CVTTSD2SI: "If a converted result exceeds the range limits of signed doubleword integer ... the indefinite
        // integer value (80000000H) is returned" with #I.
        CpuState c = cpu(Mxcsr.DEFAULT);
        assertEquals(0x8000_0000L, SseConvert.sd2si(c, bits(1e10), 32, true));
        assertEquals(Mxcsr.DEFAULT | Mxcsr.IE, c.mxcsr);
        c.mxcsr = Mxcsr.DEFAULT;
        assertEquals(Long.MIN_VALUE, SseConvert.sd2si(c, 0x7ff8_0000_0000_0000L, 64, false));
        assertEquals(Mxcsr.DEFAULT | Mxcsr.IE, c.mxcsr);
        // -2^31 itself is in range: exact, no flag.
        c.mxcsr = Mxcsr.DEFAULT;
        assertEquals(0x8000_0000L, SseConvert.sd2si(c, bits(-0x1p31), 32, true));
        assertEquals(Mxcsr.DEFAULT, c.mxcsr);
    }

    @Test
    void roundingControlSelectsTheDirection() {
        // IEEE 754 4.3: 1 + 2^-60 lies strictly between 1 and its successor, much nearer to 1.
        long above = bits(Math.nextUp(1.0)), one = bits(1.0);
        int[] modes = {Mxcsr.NEAREST, Mxcsr.DOWN, Mxcsr.UP, Mxcsr.TOWARD_ZERO};
        long[] expected = {one, one, above, one};
        for (int i = 0; i < 4; i++) {
            CpuState c = cpu(Mxcsr.DEFAULT | modes[i] << Mxcsr.RC_SHIFT);
            c.xmm[0] = one;
            SseFloat.addsd(c, 0, bits(0x1p-60));
            assertEquals(expected[i], c.xmm[0], "RC=" + modes[i]);
            assertEquals(Mxcsr.PE, c.mxcsr & Mxcsr.FLAGS, "inexact in every mode");
        }
        // Round down turns an exact zero sum negative (IEEE 754 6.3).
        CpuState c = cpu(Mxcsr.DEFAULT | Mxcsr.DOWN << Mxcsr.RC_SHIFT);
        c.xmm[0] = one;
        SseFloat.subsd(c, 0, one);
        assertEquals(bits(-0.0), c.xmm[0]);
    }

    @Test
    void underflowNeedsTinyAndInexactUnlessFlushingToZero() {
        // 4.9.1.5: masked underflow is reported only for a tiny AND inexact result; 2^-1023 is tiny but exact.
        CpuState c = cpu(Mxcsr.DEFAULT);
        c.xmm[0] = bits(Double.MIN_NORMAL);
        SseFloat.mulsd(c, 0, bits(0.5));
        assertEquals(bits(0x1p-1023), c.xmm[0]);
        assertEquals(Mxcsr.DEFAULT, c.mxcsr);
        // 10.2.3.3: with FTZ (underflow masked) a tiny result becomes a zero of the same sign, with UE and PE.
        c = cpu(Mxcsr.DEFAULT | Mxcsr.FTZ);
        c.xmm[0] = bits(-Double.MIN_NORMAL);
        SseFloat.mulsd(c, 0, bits(0.5));
        assertEquals(bits(-0.0), c.xmm[0]);
        assertEquals(Mxcsr.UE | Mxcsr.PE, c.mxcsr & Mxcsr.FLAGS);
    }

    @Test
    void denormalsAreZerosSilently() {
        // 10.2.3.4: DAZ converts denormal source operands to zeros of the same sign, without reporting DE.
        CpuState c = cpu(Mxcsr.DEFAULT | Mxcsr.DAZ);
        c.xmm[0] = 0x8000_0000_0000_0001L;
        SseFloat.addsd(c, 0, bits(-0.0));
        assertEquals(bits(-0.0), c.xmm[0]);
        assertEquals(0, c.mxcsr & Mxcsr.FLAGS);
        c = cpu(Mxcsr.DEFAULT);
        c.xmm[0] = 1;
        SseFloat.addsd(c, 0, bits(0.0));
        assertEquals(1, c.xmm[0]);
        assertEquals(Mxcsr.DE, c.mxcsr & Mxcsr.FLAGS, "a denormal operand, exact result: DE only");
    }

    @Test
    void overflowRoundsToInfinityOrTheLargestFiniteByDirection() {
        // Table 4-10: masked overflow gives infinity when rounding to nearest, the largest finite toward zero.
        CpuState c = cpu(Mxcsr.DEFAULT);
        c.xmm[0] = 0;
        SseConvert.cvtsd2ss(c, 0, bits(1e300));
        assertEquals(0x7f80_0000L, c.xmm[0]);
        assertEquals(Mxcsr.OE | Mxcsr.PE, c.mxcsr & Mxcsr.FLAGS);
        c = cpu(Mxcsr.DEFAULT | Mxcsr.TOWARD_ZERO << Mxcsr.RC_SHIFT);
        c.xmm[0] = 0;
        SseConvert.cvtsd2ss(c, 0, bits(1e300));
        assertEquals(Float.floatToRawIntBits(Float.MAX_VALUE), c.xmm[0]);
    }

    @Test
    void unorderedComparisonSetsZfPfCfAndOnlyComisdSignalsOnQuietNans() {
        // COMISD/UCOMISD: unordered -> ZF, PF, CF = 111; COMISD signals #I for QNaN and SNaN, UCOMISD for SNaN only.
        CpuState c = cpu(Mxcsr.DEFAULT);
        long qnan = 0x7ff8_0000_0000_0000L;
        assertEquals(Flags.ZF | Flags.PF | Flags.CF, SseFloat.comisd(c, qnan, bits(1.0), false));
        assertEquals(0, c.mxcsr & Mxcsr.FLAGS);
        assertEquals(Flags.ZF | Flags.PF | Flags.CF, SseFloat.comisd(c, qnan, bits(1.0), true));
        assertEquals(Mxcsr.IE, c.mxcsr & Mxcsr.FLAGS);
        assertEquals(Flags.CF, SseFloat.comisd(c, bits(1.0), bits(2.0), true), "less than: CF");
    }

    @Test
    void unmaskedExceptionsTrapBeforeWritingAndSetTheirFlag() {
        // 11.5.4: an unmasked exception leaves the destination unchanged; #XM if CR4.OSXMMEXCPT, else #UD.
        int unmasked = Mxcsr.DEFAULT & ~(Mxcsr.ZE << Mxcsr.MASK_SHIFT);
        CpuState c = cpu(unmasked);
        c.xmm[0] = bits(1.0);
        c.xmm[1] = 77;
        GuestException e = assertThrows(GuestException.class, () -> SseFloat.divpd(c, 0, bits(2.0), bits(0.0)));
        assertEquals(GuestException.XM, e.vector());
        assertEquals(bits(1.0), c.xmm[0]);
        assertEquals(77, c.xmm[1]);
        assertEquals(unmasked | Mxcsr.ZE, c.mxcsr);
        c.cr4 &= ~CpuState.CR4_OSXMMEXCPT;
        assertEquals(GuestException.UD,
                assertThrows(GuestException.class, () -> SseFloat.divpd(c, 0, bits(2.0), bits(0.0))).vector());
    }

    @Test
    void ldmxcsrRejectsReservedBits() {
        // LDMXCSR: #GP(0) "for an attempt to set any of the reserved bits" (MXCSR_MASK = 0xffff here).
        CpuState c = cpu(Mxcsr.DEFAULT);
        GuestException e = assertThrows(GuestException.class, () -> FxState.ldmxcsr(c, 0x1_1f80));
        assertEquals(GuestException.GP, e.vector());
        assertEquals(Mxcsr.DEFAULT, c.mxcsr);
        FxState.ldmxcsr(c, 0xffff);
        assertEquals(0xffff, c.mxcsr);
    }
}
