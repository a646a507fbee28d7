package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;

import java.math.BigInteger;

/**
 * Integer semantics too long to spell out in bytecode, as small static methods that generated code calls and C2
 * inlines. Operands arrive zero-extended from {@code size} bytes; results leave the same way. Flag helpers take
 * the current arithmetic flags (RFLAGS bits) and return the new ones.
 */
public final class IntSemantics {
    private IntSemantics() {
    }

    private static long msb(long v, int size) {
        return (v >>> (size * 8 - 1)) & 1;
    }

    private static long szp(long r, int size) {
        long m = Flags.mask(size);
        return ((r & m) == 0 ? Flags.ZF : 0) | (msb(r, size) != 0 ? Flags.SF : 0)
                | ((Integer.bitCount((int) r & 0xff) & 1) == 0 ? Flags.PF : 0);
    }

    // ---------------------------------------------------------------- rotates

    public static long rol(long a, int count, int size) {
        int bits = size * 8;
        int c = count % bits;
        if (c == 0) {
            return a;
        }
        return ((a << c) | (a >>> (bits - c))) & Flags.mask(size);
    }

    public static long ror(long a, int count, int size) {
        int bits = size * 8;
        int c = count % bits;
        if (c == 0) {
            return a;
        }
        return ((a >>> c) | (a << (bits - c))) & Flags.mask(size);
    }

    /** ROL: CF = low bit of the result, OF = MSB(result) XOR CF. */
    public static long rolFlags(long flags, long r, int size) {
        long cf = r & 1;
        long of = msb(r, size) ^ cf;
        return (flags & ~(Flags.CF | Flags.OF)) | cf | (of != 0 ? Flags.OF : 0);
    }

    /** ROR: CF = MSB of the result, OF = XOR of the two top bits of the result. */
    public static long rorFlags(long flags, long r, int size) {
        long cf = msb(r, size);
        long of = cf ^ ((r >>> (size * 8 - 2)) & 1);
        return (flags & ~(Flags.CF | Flags.OF)) | cf | (of != 0 ? Flags.OF : 0);
    }

    // ---------------------------------------------------------------- double shifts

    public static long shld(long a, long b, int count, int size) {
        int bits = size * 8;
        if (count == 0) {
            return a;
        }
        if (size == 2 && count >= 16) {
            // A count of 16 shifts all of b in; over 16 is undefined and CPUs shift through b:a:b.
            long wide = (a << 32) | (b << 16) | a;
            return (wide << count >>> 32) & 0xffff;
        }
        return ((a << count) | (b >>> (bits - count))) & Flags.mask(size);
    }

    public static long shrd(long a, long b, int count, int size) {
        int bits = size * 8;
        if (count == 0) {
            return a;
        }
        if (size == 2 && count > 16) {
            long wide = (a << 32) | (b << 16) | a;
            return (wide >>> count) & 0xffff;
        }
        return ((a >>> count) | (b << (bits - count))) & Flags.mask(size);
    }

    public static long shldFlags(long a, long b, int count, int size) {
        long r = shld(a, b, count, size);
        long cf = (count <= size * 8) ? (a >>> (size * 8 - count)) & 1 : 0;
        long of = msb(r, size) ^ msb(a, size);
        return szp(r, size) | cf | (of != 0 ? Flags.OF : 0);
    }

    public static long shrdFlags(long a, long b, int count, int size) {
        long r = shrd(a, b, count, size);
        long cf = (a >>> (count - 1)) & 1;
        long of = msb(r, size) ^ msb(a, size);
        return szp(r, size) | cf | (of != 0 ? Flags.OF : 0);
    }

    // ---------------------------------------------------------------- multiply

    /** Whether the signed product of sign-extended a and b overflows {@code size} bytes (1) or not (0). */
    public static long imulOverflow(long a, long b, int size) {
        if (size == 8) {
            return Math.multiplyHigh(a, b) != ((a * b) >> 63) ? 1 : 0;
        }
        long p = a * b;
        return p != Flags.sext(p, size) ? 1 : 0;
    }

    /** High half of the unsigned product of two zero-extended operands. */
    public static long mulHigh(long a, long b, int size) {
        if (size == 8) {
            return Math.unsignedMultiplyHigh(a, b);
        }
        return ((a * b) >>> (size * 8)) & Flags.mask(size);
    }

    /** High half of the signed product of two operands given zero-extended. */
    public static long imulHigh(long a, long b, int size) {
        if (size == 8) {
            return Math.multiplyHigh(a, b);
        }
        return ((Flags.sext(a, size) * Flags.sext(b, size)) >> (size * 8)) & Flags.mask(size);
    }

    /** CF/OF indicator of a widening multiply: the high half is not the extension of the low half. */
    public static long wideOverflow(long lo, long hi, int size, boolean signed) {
        long expected = signed ? (Flags.sext(lo, size) >> 63) & Flags.mask(size) : 0;
        return (hi & Flags.mask(size)) != expected ? 1 : 0;
    }

    // ---------------------------------------------------------------- divide

    public static long divQuotient(long lo, long hi, long d, int size) {
        return divide(lo, hi, d, size, true);
    }

    public static long divRemainder(long lo, long hi, long d, int size) {
        return divide(lo, hi, d, size, false);
    }

    private static long divide(long lo, long hi, long d, int size, boolean quotient) {
        if (d == 0) {
            throw GuestException.de();
        }
        if (size == 8) {
            if (hi == 0) {
                return quotient ? Long.divideUnsigned(lo, d) : Long.remainderUnsigned(lo, d);
            }
            if (Long.compareUnsigned(hi, d) >= 0) {
                throw GuestException.de();
            }
            return divlu(hi, lo, d, quotient);
        }
        long dividend = size == 1 ? lo : (hi << (size * 8)) | lo;
        long q = Long.divideUnsigned(dividend, d);
        if (Long.compareUnsigned(q, Flags.mask(size)) > 0) {
            throw GuestException.de();
        }
        return quotient ? q : Long.remainderUnsigned(dividend, d);
    }

    /**
     * Unsigned 128/64 division with hi < d (so the quotient fits in 64 bits): schoolbook division in 32-bit digits
     * after normalising the divisor (Knuth's algorithm D, two digits).
     */
    static long divlu(long hi, long lo, long d, boolean quotient) {
        int s = Long.numberOfLeadingZeros(d);
        d <<= s;
        long un32 = s == 0 ? hi : (hi << s) | (lo >>> (64 - s));
        long un10 = lo << s;
        long vn1 = d >>> 32, vn0 = d & 0xffffffffL;
        long un1 = un10 >>> 32, un0 = un10 & 0xffffffffL;
        long q1 = Long.divideUnsigned(un32, vn1);
        long rhat = un32 - q1 * vn1;
        while (Long.compareUnsigned(q1, 0xffffffffL) > 0
                || Long.compareUnsigned(q1 * vn0, (rhat << 32) | un1) > 0) {
            q1--;
            rhat += vn1;
            if (Long.compareUnsigned(rhat, 0xffffffffL) > 0) {
                break;
            }
        }
        long un21 = (un32 << 32 | un1) - q1 * d;
        long q0 = Long.divideUnsigned(un21, vn1);
        rhat = un21 - q0 * vn1;
        while (Long.compareUnsigned(q0, 0xffffffffL) > 0
                || Long.compareUnsigned(q0 * vn0, (rhat << 32) | un0) > 0) {
            q0--;
            rhat += vn1;
            if (Long.compareUnsigned(rhat, 0xffffffffL) > 0) {
                break;
            }
        }
        if (quotient) {
            return (q1 << 32) | q0;
        }
        long rem = ((un21 << 32) | un0) - q0 * d;
        return rem >>> s;
    }

    public static long idivQuotient(long lo, long hi, long d, int size) {
        return idivide(lo, hi, d, size, true);
    }

    public static long idivRemainder(long lo, long hi, long d, int size) {
        return idivide(lo, hi, d, size, false);
    }

    private static long idivide(long lo, long hi, long d, int size, boolean quotient) {
        long divisor = Flags.sext(d, size);
        if (divisor == 0) {
            throw GuestException.de();
        }
        if (size == 8) {
            if (hi == (lo >> 63)) {
                if (lo == Long.MIN_VALUE && divisor == -1) {
                    throw GuestException.de();
                }
                return quotient ? lo / divisor : lo % divisor;
            }
            BigInteger dividend = BigInteger.valueOf(hi).shiftLeft(64).or(new BigInteger(Long.toUnsignedString(lo)));
            BigInteger[] qr = dividend.divideAndRemainder(BigInteger.valueOf(divisor));
            if (qr[0].bitLength() > 63) {
                throw GuestException.de();
            }
            return quotient ? qr[0].longValue() : qr[1].longValue();
        }
        long dividend = size == 1 ? Flags.sext(lo, 2) : Flags.sext((hi << (size * 8)) | lo, size * 2);
        long q = dividend / divisor;
        if (q != Flags.sext(q, size)) {
            throw GuestException.de();
        }
        return (quotient ? q : dividend % divisor) & Flags.mask(size);
    }

    // ---------------------------------------------------------------- bit scans and counts

    /** BSF: index of the lowest set bit; a zero source leaves the destination unchanged. */
    public static long bsf(long s, long dst, int size) {
        return s == 0 ? dst : Long.numberOfTrailingZeros(s);
    }

    public static long bsr(long s, long dst, int size) {
        return s == 0 ? dst : 63 - Long.numberOfLeadingZeros(s);
    }

    public static long tzcnt(long s, long dst, int size) {
        return s == 0 ? size * 8L : Long.numberOfTrailingZeros(s);
    }

    public static long lzcnt(long s, long dst, int size) {
        return s == 0 ? size * 8L : Long.numberOfLeadingZeros(s) - (64 - size * 8L);
    }

    public static long popcnt(long s, long dst, int size) {
        return Long.bitCount(s);
    }

    /** BSF/BSR: ZF = source is zero; CF, OF, SF, AF, PF undefined (kept). */
    public static long bsfFlags(long flags, long s, long r, int size) {
        return (flags & ~Flags.ZF) | (s == 0 ? Flags.ZF : 0);
    }

    public static long bsrFlags(long flags, long s, long r, int size) {
        return bsfFlags(flags, s, r, size);
    }

    /** TZCNT/LZCNT: CF = source is zero, ZF = result is zero; OF, SF, AF, PF undefined (kept). */
    public static long tzcntFlags(long flags, long s, long r, int size) {
        return (flags & ~(Flags.CF | Flags.ZF)) | (s == 0 ? Flags.CF : 0) | (r == 0 ? Flags.ZF : 0);
    }

    public static long lzcntFlags(long flags, long s, long r, int size) {
        return tzcntFlags(flags, s, r, size);
    }

    /** POPCNT: ZF = source is zero, the other five arithmetic flags cleared. */
    public static long popcntFlags(long flags, long s, long r, int size) {
        return s == 0 ? Flags.ZF : 0;
    }
}
