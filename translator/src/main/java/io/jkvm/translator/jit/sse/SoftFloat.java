package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;

import static io.jkvm.translator.jit.sse.Mxcsr.*;

/**
 * SSE floating-point semantics in full generality: every MXCSR setting (rounding control, DAZ, FTZ, masks), every
 * operand class, and the exception flags exactly as the hardware reports them. This is the slow path behind the
 * instruction entry points of {@link SseFloat}; it is taken when the controls are not the defaults or when an
 * operand or result is special (NaN, infinity, denormal, zero product, overflow, underflow).
 *
 * <p>Each operation follows the SDM's two steps (vol. 1, 11.5.3): pre-computation checks in priority order (an
 * SNaN or, for the ordered operations, any NaN: IE; a QNaN operand: no exception; other invalid operations: IE;
 * division of a finite number by zero: ZE; a denormal operand: DE; a lane reports only the first of these that
 * applies), then the exact result rounded by {@link #round}, which detects overflow, underflow and inexactness.
 * Flags are ORed into {@code cpu.mxcsr}; {@link Mxcsr#begin}/{@link Mxcsr#end} around an instruction turn them into
 * the per-instruction set and decide about #XM.
 *
 * <p>Why the results are exact: the exact value of a sum or product is formed in integer arithmetic (a 63-bit
 * significand for sums with a sticky bit for what alignment shifted out; the full 128-bit product), so nothing is
 * lost before {@link #round}. For quotients and square roots the JVM's correctly rounded double operation gives a
 * 53-bit result q, and a fused multiply-add gives the exact residual (a - q*b, or a - q*q), whose sign says on which
 * side of q the exact value lies. Encoding that as q plus or minus a quarter unit in the last place preserves every
 * rounding decision at 53 bits or fewer, because no rounding boundary of a 53-bit or narrower format lies strictly
 * between the exact value and q (q is the nearest 53-bit number to it). Operands are scaled to [1, 4) first, so the
 * residual can neither overflow nor underflow.
 */
final class SoftFloat {
    /** Results of {@link #compare}. */
    static final int LESS = 0, EQUAL = 1, GREATER = 2, UNORDERED = 3;

    private static final long D_FRAC = (1L << 52) - 1;
    private static final long D_HIDDEN = 1L << 52;

    private SoftFloat() {
    }

    // ------------------------------------------------------------------ operand intake

    /** A source operand as the instruction sees it: DAZ turns denormals into zeros of the same sign. */
    static long operand(Format f, long x, int mxcsr) {
        if ((mxcsr & DAZ) != 0 && f.isDenormal(x)) {
            return x & f.signBit;
        }
        return x;
    }

    /** DE for a denormal operand (after DAZ, so never with DAZ set). */
    private static void denormal(CpuState c, Format f, long a, long b) {
        if (f.isDenormal(a) || f.isDenormal(b)) {
            c.mxcsr |= DE;
        }
    }

    /** Two operands, at least one NaN: the first NaN operand, quieted; IE for any SNaN (SDM vol. 1, table 4-7). */
    private static long propagate(CpuState c, Format f, long a, long b) {
        if (f.isSignalling(a) || f.isSignalling(b)) {
            c.mxcsr |= IE;
        }
        return f.quiet(f.isNaN(a) ? a : b) & f.width;
    }

    private static long invalid(CpuState c, Format f) {
        c.mxcsr |= IE;
        return f.defaultNaN;
    }

    private static long shiftRightJam(long x, int n) {
        if (n == 0) {
            return x;
        }
        if (n >= 63) {
            return x != 0 ? 1 : 0;
        }
        return (x >>> n) | ((x & ((1L << n) - 1)) != 0 ? 1 : 0);
    }

    // ------------------------------------------------------------------ arithmetic

    static long add(CpuState c, Format f, long a, long b) {
        return addSub(c, f, a, b, 0);
    }

    static long sub(CpuState c, Format f, long a, long b) {
        return addSub(c, f, a, b, 1);
    }

    private static long addSub(CpuState c, Format f, long a, long b, int negate) {
        int m = c.mxcsr;
        a = operand(f, a, m);
        b = operand(f, b, m);
        if (f.isNaN(a) || f.isNaN(b)) {
            return propagate(c, f, a, b);
        }
        int sa = f.sign(a);
        int sb = f.sign(b) ^ negate;
        boolean ia = f.isInfinite(a), ib = f.isInfinite(b);
        if (ia && ib && sa != sb) {
            return invalid(c, f);
        }
        denormal(c, f, a, b);
        if (ia || ib) {
            return f.infinity(ia ? sa : sb);
        }
        boolean za = f.isZero(a), zb = f.isZero(b);
        if (za && zb) {
            // IEEE 754 6.3: the sum of opposite zeros is +0, except -0 when rounding down.
            return f.zero(sa == sb ? sa : (roundingControl(m) == DOWN ? 1 : 0));
        }
        if (za || zb) {
            // x + 0 = x exactly, but through round() so that FTZ flushes a tiny x.
            long x = za ? b : a;
            return round(c, f, za ? sb : sa, f.exponent(x), f.significand(x));
        }
        int ea = f.exponent(a), eb = f.exponent(b);
        // Leading one at bit 61 leaves room for the carry of a sum.
        long ma = f.significand(a) >>> 1, mb = f.significand(b) >>> 1;
        if (ea < eb || (ea == eb && ma < mb)) {
            int t = ea; ea = eb; eb = t;
            long u = ma; ma = mb; mb = u;
            int s = sa; sa = sb; sb = s;
        }
        // Alignment loses bits only when the shift exceeds the (at least 9) zero guard bits; the jammed sticky bit
        // then stands for them, and is never at a rounding boundary (see the class comment of Format).
        mb = shiftRightJam(mb, ea - eb);
        long s;
        if (sa == sb) {
            s = ma + mb;
        } else {
            s = ma - mb;
            if (s == 0) {
                return f.zero(roundingControl(m) == DOWN ? 1 : 0);
            }
        }
        int lz = Long.numberOfLeadingZeros(s) - 1;
        return round(c, f, sa, ea + 1 - lz, s << lz);
    }

    static long mul(CpuState c, Format f, long a, long b) {
        int m = c.mxcsr;
        a = operand(f, a, m);
        b = operand(f, b, m);
        if (f.isNaN(a) || f.isNaN(b)) {
            return propagate(c, f, a, b);
        }
        int s = f.sign(a) ^ f.sign(b);
        boolean ia = f.isInfinite(a), ib = f.isInfinite(b);
        boolean za = f.isZero(a), zb = f.isZero(b);
        if ((ia && zb) || (ib && za)) {
            return invalid(c, f);
        }
        denormal(c, f, a, b);
        if (ia || ib) {
            return f.infinity(s);
        }
        if (za || zb) {
            return f.zero(s);
        }
        long ma = f.significand(a), mb = f.significand(b);
        int e = f.exponent(a) + f.exponent(b);
        // The exact product has 125 or 126 bits: keep the top 63, jam the rest into the sticky bit.
        long hi = Math.multiplyHigh(ma, mb);
        long lo = ma * mb;
        long sig;
        if ((hi >>> 61) != 0) {
            sig = (hi << 1) | (lo >>> 63) | ((lo << 1) != 0 ? 1 : 0);
            e++;
        } else {
            sig = (hi << 2) | (lo >>> 62) | ((lo << 2) != 0 ? 1 : 0);
        }
        return round(c, f, s, e, sig);
    }

    static long div(CpuState c, Format f, long a, long b) {
        int m = c.mxcsr;
        a = operand(f, a, m);
        b = operand(f, b, m);
        if (f.isNaN(a) || f.isNaN(b)) {
            return propagate(c, f, a, b);
        }
        int s = f.sign(a) ^ f.sign(b);
        boolean ia = f.isInfinite(a), ib = f.isInfinite(b);
        boolean za = f.isZero(a), zb = f.isZero(b);
        if ((ia && ib) || (za && zb)) {
            return invalid(c, f);
        }
        if (zb && !ia) {
            // ZE outranks DE: a denormal dividend divided by zero reports only ZE.
            c.mxcsr |= ZE;
            return f.infinity(s);
        }
        denormal(c, f, a, b);
        if (ia) {
            return f.infinity(s);
        }
        if (ib || za) {
            return f.zero(s);
        }
        double x = unit(f.significand(a)), y = unit(f.significand(b));
        double q = x / y;
        double residual = Math.fma(-q, y, x);
        return roundNear(c, f, s, f.exponent(a) - f.exponent(b), q, residual);
    }

    static long sqrt(CpuState c, Format f, long a) {
        int m = c.mxcsr;
        a = operand(f, a, m);
        if (f.isNaN(a)) {
            if (f.isSignalling(a)) {
                c.mxcsr |= IE;
            }
            return f.quiet(a) & f.width;
        }
        if (f.isZero(a)) {
            return a; // sqrt(-0) = -0
        }
        if (f.sign(a) != 0) {
            return invalid(c, f);
        }
        if (f.isInfinite(a)) {
            return a;
        }
        denormal(c, f, a, 0);
        int e = f.exponent(a);
        double x = unit(f.significand(a));
        if ((e & 1) != 0) {
            x *= 2; // exact: x in [2, 4), so that the exponent halves evenly
            e--;
        }
        double r = Math.sqrt(x);
        double residual = Math.fma(-r, r, x);
        return roundNear(c, f, 0, e / 2, r, residual);
    }

    /** A significand with its leading one at bit 62 as a double in [1, 2) (exact: at most 53 significant bits). */
    private static double unit(long sig) {
        return (double) (sig >>> 10) * 0x1p-52;
    }

    /**
     * Rounds the exact value {@code (q + epsilon) * 2^e}, where q in (0.5, 4) is a correctly rounded double and
     * {@code residual} has the sign of epsilon (see the class comment).
     */
    private static long roundNear(CpuState c, Format f, int sign, int e, double q, double residual) {
        long bits = Double.doubleToRawLongBits(q);
        int qe = (int) (bits >>> 52) - 1023;
        long sig = ((bits & D_FRAC) | D_HIDDEN) << 10;
        e += qe;
        if (residual > 0) {
            sig |= 1;
        } else if (residual < 0) {
            sig -= 1;
            if ((sig >>> 62) == 0) {
                sig <<= 1;
                e--;
            }
        }
        return round(c, f, sign, e, sig);
    }

    // ------------------------------------------------------------------ rounding

    /**
     * Rounds {@code (-1)^sign * sig * 2^(e - 62)} (leading one of sig at bit 62, a sticky bit below the guard bits)
     * to format {@code f} under MXCSR's controls, setting OE, UE and PE as the SDM specifies (vol. 1, 4.9.1.4-6 and
     * 11.5.2.4-6): tininess is detected after rounding (on the value rounded to full precision with an unbounded
     * exponent); with underflow masked UE needs a tiny and inexact result, or FTZ, which returns a zero and sets
     * UE and PE; with underflow unmasked UE needs only a tiny result. An unmasked overflow or underflow reports PE
     * only when the result rounded to full precision with an unbounded exponent is inexact, and the result is never
     * written (so its value here does not matter).
     */
    static long round(CpuState c, Format f, int sign, int e, long sig) {
        int m = c.mxcsr;
        int rc = roundingControl(m);
        int p = f.precision;
        long signBits = sign != 0 ? f.signBit : 0;
        int drop = 63 - p;
        if (e >= f.emin) {
            long kept = roundBits(sig, drop, rc, sign);
            boolean inexact = (sig & ((1L << drop) - 1)) != 0;
            if ((kept >>> p) != 0) {
                kept >>>= 1;
                e++;
            }
            if (e > f.emax) {
                return overflow(c, f, sign, rc, inexact);
            }
            if (inexact) {
                c.mxcsr |= PE;
            }
            // Adding the significand with its hidden one bumps the exponent field to e + bias.
            return signBits | (((long) (e + f.bias - 1) << (p - 1)) + kept);
        }
        boolean tiny = e < f.emin - 1 || (roundBits(sig, drop, rc, sign) >>> p) == 0;
        int subDrop = drop + (f.emin - e);
        long kept = subDrop >= 64 ? roundBits(sig, 64, rc, sign) : roundBits(sig, subDrop, rc, sign);
        boolean inexact = subDrop >= 63 || (sig & ((1L << subDrop) - 1)) != 0;
        if (tiny) {
            if ((m & (UE << MASK_SHIFT)) == 0) {
                // Unmasked: the trap handler would see the result rounded to full precision with the exponent
                // unbounded, and PE says whether that rounding was exact (host-verified).
                c.mxcsr |= UE | ((sig & ((1L << drop) - 1)) != 0 ? PE : 0);
                return signBits | kept;
            }
            if ((m & FTZ) != 0) {
                c.mxcsr |= UE | PE;
                return signBits;
            }
            if (inexact) {
                c.mxcsr |= UE | PE;
            }
        } else if (inexact) {
            c.mxcsr |= PE;
        }
        // A subnormal, or the smallest normal when rounding carried into the hidden bit.
        return signBits | kept;
    }

    /**
     * {@code sig >>> drop}, rounded per {@code rc} using the dropped bits; {@code drop >= 64} means every bit is
     * dropped and the value is below half of the last unit (sig is below 2^63).
     */
    static long roundBits(long sig, int drop, int rc, int sign) {
        long kept, rem, half;
        if (drop >= 64) {
            kept = 0;
            rem = sig;
            half = Long.MAX_VALUE; // above any rem: never rounds to nearest upward
        } else if (drop == 0) {
            return sig;
        } else {
            kept = sig >>> drop;
            rem = sig & ((1L << drop) - 1);
            half = 1L << (drop - 1);
        }
        boolean up = switch (rc) {
            case NEAREST -> Long.compareUnsigned(rem, half) > 0 || (rem == half && (kept & 1) != 0);
            case DOWN -> rem != 0 && sign != 0;
            case UP -> rem != 0 && sign == 0;
            default -> false;
        };
        return up ? kept + 1 : kept;
    }

    private static long overflow(CpuState c, Format f, int sign, int rc, boolean inexact) {
        if ((c.mxcsr & (OE << MASK_SHIFT)) == 0) {
            // Unmasked: as for underflow, PE reports whether the full-precision (exponent-unbounded) result is exact.
            c.mxcsr |= OE | (inexact ? PE : 0);
            return f.infinity(sign);
        }
        c.mxcsr |= OE | PE;
        boolean toInfinity = rc == NEAREST || (rc == UP && sign == 0) || (rc == DOWN && sign != 0);
        return toInfinity ? f.infinity(sign) : (sign != 0 ? f.signBit : 0) | f.maxFinite;
    }

    // ------------------------------------------------------------------ comparisons

    /**
     * MIN and MAX (SDM vol. 2, MINPS): {@code a < b ? a : b} (or {@code >}), which returns the second operand when
     * either is a NaN (SNaN or QNaN, unchanged, with IE) and when both are zeros of any sign.
     */
    static long minMax(CpuState c, Format f, long a, long b, boolean max) {
        int m = c.mxcsr;
        a = operand(f, a, m);
        b = operand(f, b, m);
        if (f.isNaN(a) || f.isNaN(b)) {
            c.mxcsr |= IE;
            return b;
        }
        denormal(c, f, a, b);
        double x = value(f, a), y = value(f, b);
        return (max ? x > y : x < y) ? a : b;
    }

    /**
     * Compares for CMPxx and (U)COMISx: IE for an SNaN operand, or for any NaN when {@code signalling}; DE for a
     * denormal operand when neither is a NaN.
     */
    static int compare(CpuState c, Format f, long a, long b, boolean signalling) {
        int m = c.mxcsr;
        a = operand(f, a, m);
        b = operand(f, b, m);
        if (f.isNaN(a) || f.isNaN(b)) {
            if (signalling || f.isSignalling(a) || f.isSignalling(b)) {
                c.mxcsr |= IE;
            }
            return UNORDERED;
        }
        denormal(c, f, a, b);
        double x = value(f, a), y = value(f, b);
        return x < y ? LESS : x > y ? GREATER : EQUAL;
    }

    /** A non-NaN value as a double (exact for both formats). */
    static double value(Format f, long x) {
        return f == Format.DOUBLE ? Double.longBitsToDouble(x) : Float.intBitsToFloat((int) x);
    }

    // ------------------------------------------------------------------ conversions

    /** CVTSS2SD/CVTSD2SS and the packed forms. NaNs keep their payload's top bits and are quieted. */
    static long convert(CpuState c, Format from, Format to, long x) {
        x = operand(from, x, c.mxcsr);
        int sign = from.sign(x);
        if (from.isNaN(x)) {
            if (from.isSignalling(x)) {
                c.mxcsr |= IE;
            }
            long frac = x & from.fracMask;
            int shift = from.precision - to.precision;
            long payload = shift >= 0 ? frac >>> shift : frac << -shift;
            return (sign != 0 ? to.signBit : 0) | to.expMask | to.quietBit | payload;
        }
        if (from.isInfinite(x)) {
            return to.infinity(sign);
        }
        if (from.isZero(x)) {
            return to.zero(sign);
        }
        denormal(c, from, x, 0);
        return round(c, to, sign, from.exponent(x), from.significand(x));
    }

    /** CVTSI2SS/SD, CVTDQ2PS/PD: a signed integer (sign-extended to 64 bits) to a float, rounded per RC. */
    static long fromInt(CpuState c, Format to, long v) {
        if (v == 0) {
            return 0;
        }
        int sign = v < 0 ? 1 : 0;
        long mag = v < 0 ? -v : v;
        if (mag < 0) {
            return round(c, to, sign, 63, 1L << 62); // -2^63
        }
        int lz = Long.numberOfLeadingZeros(mag) - 1;
        return round(c, to, sign, 62 - lz, mag << lz);
    }

    /**
     * CVT(T)SS2SI, CVT(T)SD2SI, CVT(T)PS2DQ, CVT(T)PD2DQ: rounds per RC (or toward zero when {@code truncate}) to a
     * signed integer of {@code bits} 32 or 64. NaN, infinity and out-of-range values give the "integer indefinite"
     * (the most negative integer) with IE; an inexact in-range result sets PE. These conversions never report DE
     * (the SDM lists only #I and #P for them).
     */
    static long toInt(CpuState c, Format from, long x, int bits, boolean truncate) {
        long indefinite = bits == 32 ? 0x8000_0000L : Long.MIN_VALUE;
        x = operand(from, x, c.mxcsr);
        if (from.isNaN(x) || from.isInfinite(x)) {
            c.mxcsr |= IE;
            return indefinite;
        }
        if (from.isZero(x)) {
            return 0;
        }
        int rc = truncate ? TOWARD_ZERO : roundingControl(c.mxcsr);
        int sign = from.sign(x);
        int e = from.exponent(x);
        long sig = from.significand(x);
        if (e > 63) {
            c.mxcsr |= IE;
            return indefinite;
        }
        long mag;
        boolean inexact;
        if (e >= 62) {
            mag = sig << (e - 62); // e == 63: 2^63 and above, as an unsigned magnitude
            inexact = false;
        } else {
            int drop = 62 - e;
            mag = roundBits(sig, Math.min(drop, 64), rc, sign);
            inexact = drop >= 63 || (sig & ((1L << drop) - 1)) != 0;
        }
        long limit = bits == 32 ? 1L << 31 : Long.MIN_VALUE; // magnitude of the most negative value, unsigned
        boolean fits = sign != 0 ? Long.compareUnsigned(mag, limit) <= 0 : Long.compareUnsigned(mag, limit) < 0;
        if (!fits) {
            c.mxcsr |= IE;
            return indefinite;
        }
        if (inexact) {
            c.mxcsr |= PE;
        }
        long v = sign != 0 ? -mag : mag;
        return bits == 32 ? v & 0xffff_ffffL : v;
    }
}
