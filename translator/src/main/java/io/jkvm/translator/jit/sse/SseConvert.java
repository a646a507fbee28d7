package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;

import static io.jkvm.translator.jit.sse.Mxcsr.*;

/**
 * SSE/SSE2 conversions between single, double and signed integers. Fast paths as in {@link SseFloat}: widening
 * conversions are exact and flag only NaN and denormal operands; narrowing and float-to-integer ones run on the JVM
 * operation when it rounds the way MXCSR says (round to nearest: {@code (float) d}, {@code Math.rint}; truncation:
 * the JVM's casts, which truncate) and the value is in range, setting PE only when inexact.
 */
public final class SseConvert {
    private static final long LOW = 0xffff_ffffL;
    /** Default controls (all masked, nearest, no DAZ/FTZ), flags ignored: enough where PE is computed inline. */
    private static final int CONTROLS = 0xffc0;

    private SseConvert() {
    }

    private static boolean defaultControls(int mxcsr) {
        return (mxcsr & CONTROLS) == DEFAULT;
    }

    private static void inexact(CpuState c) {
        int m = c.mxcsr;
        if ((m & PE) == 0) {
            c.mxcsr = m | PE;
        }
    }

    // ------------------------------------------------------------------ integer to float

    /** CVTSI2SD xmm, r/m32 or r/m64 ({@code v} sign-extended): the low lane, the high quadword kept. */
    public static void cvtsi2sd(CpuState c, int d, long v) {
        long[] x = c.xmm;
        // Integers of at most 53 significant bits convert exactly under any rounding.
        if ((v >> 53) == 0 || (v >> 53) == -1 || fastArith(c.mxcsr)) {
            x[2 * d] = Double.doubleToRawLongBits((double) v);
            return;
        }
        int before = begin(c);
        long r = SoftFloat.fromInt(c, Format.DOUBLE, v);
        end(c, before);
        x[2 * d] = r;
    }

    /** CVTSI2SS xmm, r/m32 or r/m64: the low lane, bits 127:32 kept. */
    public static void cvtsi2ss(CpuState c, int d, long v) {
        long[] x = c.xmm;
        long a = x[2 * d];
        if ((v >> 24) == 0 || (v >> 24) == -1 || fastArith(c.mxcsr)) {
            x[2 * d] = (a & ~LOW) | (Float.floatToRawIntBits((float) v) & LOW);
            return;
        }
        int before = begin(c);
        long r = SoftFloat.fromInt(c, Format.SINGLE, v);
        end(c, before);
        x[2 * d] = (a & ~LOW) | r;
    }

    /** CVTDQ2PD xmm, xmm/m64: two int32 from the low quadword, exact. */
    public static void cvtdq2pd(CpuState c, int d, long b) {
        long[] x = c.xmm;
        x[2 * d] = Double.doubleToRawLongBits((int) b);
        x[2 * d + 1] = Double.doubleToRawLongBits((int) (b >>> 32));
    }

    /** CVTDQ2PS xmm, xmm/m128. */
    public static void cvtdq2ps(CpuState c, int d, long b0, long b1) {
        long[] x = c.xmm;
        int v0 = (int) b0, v1 = (int) (b0 >>> 32), v2 = (int) b1, v3 = (int) (b1 >>> 32);
        if (fastArith(c.mxcsr) || (exact24(v0) && exact24(v1) && exact24(v2) && exact24(v3))) {
            x[2 * d] = pair(Float.floatToRawIntBits(v0), Float.floatToRawIntBits(v1));
            x[2 * d + 1] = pair(Float.floatToRawIntBits(v2), Float.floatToRawIntBits(v3));
            return;
        }
        int before = begin(c);
        long r0 = SoftFloat.fromInt(c, Format.SINGLE, v0);
        long r1 = SoftFloat.fromInt(c, Format.SINGLE, v1);
        long r2 = SoftFloat.fromInt(c, Format.SINGLE, v2);
        long r3 = SoftFloat.fromInt(c, Format.SINGLE, v3);
        end(c, before);
        x[2 * d] = pair(r0, r1);
        x[2 * d + 1] = pair(r2, r3);
    }

    private static boolean exact24(int v) {
        return (v >> 24) == 0 || (v >> 24) == -1;
    }

    // ------------------------------------------------------------------ float to integer

    /** CVTSD2SI (rounded per RC) and CVTTSD2SI ({@code truncate}) to {@code bits} 32 or 64; 32-bit results zero-extended. */
    public static long sd2si(CpuState c, long b, int bits, boolean truncate) {
        if (defaultControls(c.mxcsr)) {
            long r = fastToInt(c, Double.longBitsToDouble(b), bits, truncate);
            if (r != NO_FAST) {
                return r;
            }
        }
        return softToInt(c, Format.DOUBLE, b, bits, truncate);
    }

    /** CVTSS2SI and CVTTSS2SI on the low 32 bits of {@code b}. */
    public static long ss2si(CpuState c, long b, int bits, boolean truncate) {
        if (defaultControls(c.mxcsr)) {
            long r = fastToInt(c, Float.intBitsToFloat((int) b), bits, truncate);
            if (r != NO_FAST) {
                return r;
            }
        }
        return softToInt(c, Format.SINGLE, b & LOW, bits, truncate);
    }

    /** Marks "not on the fast path": never a result of {@link #fastToInt}, whose 32-bit results are zero-extended. */
    private static final long NO_FAST = 0x8000_0000_0000_0001L;

    /**
     * A float-to-integer conversion under the default controls: {@code Math.rint} rounds to nearest-even as RC=0 does,
     * and in range the JVM's cast of the (integral, or to-be-truncated) value is exact. NaN fails the range test.
     */
    private static long fastToInt(CpuState c, double v, int bits, boolean truncate) {
        double r = truncate ? v : Math.rint(v);
        double limit = bits == 32 ? 0x1p31 : 0x1p63;
        if (r >= -limit && r < limit) {
            long i = (long) r;
            if ((double) i != v) {
                inexact(c);
            }
            return bits == 32 ? i & LOW : i;
        }
        return NO_FAST;
    }

    private static long softToInt(CpuState c, Format f, long b, int bits, boolean truncate) {
        int before = begin(c);
        long r = SoftFloat.toInt(c, f, b, bits, truncate);
        end(c, before);
        return r;
    }

    /** One double lane to int32 on the fast path, or {@code Long.MIN_VALUE} when it cannot answer. */
    private static long lane32(CpuState c, double v, boolean truncate) {
        long r = fastToInt(c, v, 32, truncate);
        return r == NO_FAST ? Long.MIN_VALUE : r;
    }

    /** CVTPD2DQ / CVTTPD2DQ xmm, xmm/m128: two int32 in the low quadword, the high one zeroed. */
    public static void pd2dq(CpuState c, int d, long b0, long b1, boolean truncate) {
        long[] x = c.xmm;
        if (defaultControls(c.mxcsr)) {
            long r0 = lane32(c, Double.longBitsToDouble(b0), truncate);
            long r1 = lane32(c, Double.longBitsToDouble(b1), truncate);
            if (r0 != Long.MIN_VALUE && r1 != Long.MIN_VALUE) {
                x[2 * d] = r0 | (r1 << 32);
                x[2 * d + 1] = 0;
                return;
            }
        }
        int before = begin(c);
        long r0 = SoftFloat.toInt(c, Format.DOUBLE, b0, 32, truncate);
        long r1 = SoftFloat.toInt(c, Format.DOUBLE, b1, 32, truncate);
        end(c, before);
        x[2 * d] = r0 | (r1 << 32);
        x[2 * d + 1] = 0;
    }

    /** CVTPS2DQ / CVTTPS2DQ xmm, xmm/m128. */
    public static void ps2dq(CpuState c, int d, long b0, long b1, boolean truncate) {
        long[] x = c.xmm;
        if (defaultControls(c.mxcsr)) {
            long r0 = lane32(c, Float.intBitsToFloat((int) b0), truncate);
            long r1 = lane32(c, Float.intBitsToFloat((int) (b0 >>> 32)), truncate);
            long r2 = lane32(c, Float.intBitsToFloat((int) b1), truncate);
            long r3 = lane32(c, Float.intBitsToFloat((int) (b1 >>> 32)), truncate);
            if (r0 != Long.MIN_VALUE && r1 != Long.MIN_VALUE && r2 != Long.MIN_VALUE && r3 != Long.MIN_VALUE) {
                x[2 * d] = r0 | (r1 << 32);
                x[2 * d + 1] = r2 | (r3 << 32);
                return;
            }
        }
        int before = begin(c);
        long r0 = SoftFloat.toInt(c, Format.SINGLE, b0 & LOW, 32, truncate);
        long r1 = SoftFloat.toInt(c, Format.SINGLE, b0 >>> 32, 32, truncate);
        long r2 = SoftFloat.toInt(c, Format.SINGLE, b1 & LOW, 32, truncate);
        long r3 = SoftFloat.toInt(c, Format.SINGLE, b1 >>> 32, 32, truncate);
        end(c, before);
        x[2 * d] = r0 | (r1 << 32);
        x[2 * d + 1] = r2 | (r3 << 32);
    }

    // ------------------------------------------------------------------ float to float

    private static final long SLOW = 0x7ff0_0000_0000_0001L;

    /** A single widened exactly, or {@link #SLOW} for NaN and denormal operands (which raise flags). */
    private static long widen(int s) {
        float v = Float.intBitsToFloat(s);
        if (v != v || ((s & 0x7f80_0000) == 0 && (s << 1) != 0)) {
            return SLOW;
        }
        return Double.doubleToRawLongBits(v);
    }

    /** A double narrowed on the fast path (caller checked the controls), or {@link #SLOW}. */
    private static long narrow(long b) {
        double v = Double.longBitsToDouble(b);
        float r = (float) v;
        float m = Math.abs(r);
        if ((m > Float.MIN_NORMAL && m <= Float.MAX_VALUE) || v == 0) {
            return Float.floatToRawIntBits(r) & LOW;
        }
        return SLOW;
    }

    /** CVTSS2SD xmm, xmm/m32. */
    public static void cvtss2sd(CpuState c, int d, long b) {
        long[] x = c.xmm;
        long r = widen((int) b);
        if (r == SLOW) {
            int before = begin(c);
            r = SoftFloat.convert(c, Format.SINGLE, Format.DOUBLE, b & LOW);
            end(c, before);
        }
        x[2 * d] = r;
    }

    /** CVTPS2PD xmm, xmm/m64. */
    public static void cvtps2pd(CpuState c, int d, long b) {
        long[] x = c.xmm;
        long r0 = widen((int) b), r1 = widen((int) (b >>> 32));
        if (r0 == SLOW || r1 == SLOW) {
            int before = begin(c);
            r0 = SoftFloat.convert(c, Format.SINGLE, Format.DOUBLE, b & LOW);
            r1 = SoftFloat.convert(c, Format.SINGLE, Format.DOUBLE, b >>> 32);
            end(c, before);
        }
        x[2 * d] = r0;
        x[2 * d + 1] = r1;
    }

    /** CVTSD2SS xmm, xmm/m64: the low lane, bits 127:32 kept. */
    public static void cvtsd2ss(CpuState c, int d, long b) {
        long[] x = c.xmm;
        long a = x[2 * d];
        long r = fastArith(c.mxcsr) ? narrow(b) : SLOW;
        if (r == SLOW) {
            int before = begin(c);
            r = SoftFloat.convert(c, Format.DOUBLE, Format.SINGLE, b);
            end(c, before);
        }
        x[2 * d] = (a & ~LOW) | r;
    }

    /** CVTPD2PS xmm, xmm/m128: two singles in the low quadword, the high one zeroed. */
    public static void cvtpd2ps(CpuState c, int d, long b0, long b1) {
        long[] x = c.xmm;
        boolean fast = fastArith(c.mxcsr);
        long r0 = fast ? narrow(b0) : SLOW;
        long r1 = fast ? narrow(b1) : SLOW;
        if (r0 == SLOW || r1 == SLOW) {
            int before = begin(c);
            r0 = SoftFloat.convert(c, Format.DOUBLE, Format.SINGLE, b0);
            r1 = SoftFloat.convert(c, Format.DOUBLE, Format.SINGLE, b1);
            end(c, before);
        }
        x[2 * d] = r0 | (r1 << 32);
        x[2 * d + 1] = 0;
    }

    private static long pair(long lo, long hi) {
        return (lo & LOW) | (hi << 32);
    }
}
