package io.jkvm.translator.jit.sse;

/**
 * The two IEEE 754 binary formats SSE computes in. Values travel as raw bits in a {@code long} (single precision in
 * the low 32 bits), so one implementation of the general-case arithmetic ({@link SoftFloat}) serves both.
 *
 * <p>Significands are handled in one fixed-point layout for both formats: a {@code long} whose bit 62 is the leading
 * (hidden) one, so that {@code value = sig * 2^(exponent - 62)}. The bits below the format's precision are guard
 * bits for rounding.
 */
enum Format {
    SINGLE(24, 8),
    DOUBLE(53, 11);

    /** Significand bits including the hidden one. */
    final int precision;
    final int bias;
    /** Unbiased exponents of the smallest and largest normal numbers. */
    final int emin, emax;
    final long signBit;
    final long expMask;
    final long fracMask;
    /** The most significant fraction bit: set in quiet NaNs, clear in signalling ones. */
    final long quietBit;
    /** The "QNaN floating-point indefinite" returned by invalid operations: negative, quiet, zero payload. */
    final long defaultNaN;
    final long infinity;
    final long maxFinite;
    /** All bits of the format (0xffffffff or -1). */
    final long width;

    Format(int precision, int exponentBits) {
        this.precision = precision;
        this.bias = (1 << (exponentBits - 1)) - 1;
        this.emin = 1 - bias;
        this.emax = bias;
        int bits = precision + exponentBits;
        this.signBit = 1L << (bits - 1);
        this.fracMask = (1L << (precision - 1)) - 1;
        this.expMask = ((1L << exponentBits) - 1) << (precision - 1);
        this.quietBit = 1L << (precision - 2);
        this.infinity = expMask;
        this.defaultNaN = signBit | expMask | quietBit;
        this.maxFinite = expMask - 1;
        this.width = bits == 64 ? -1L : (1L << bits) - 1;
    }

    boolean isNaN(long x) {
        return (x & ~signBit & width) > expMask;
    }

    boolean isSignalling(long x) {
        return isNaN(x) && (x & quietBit) == 0;
    }

    boolean isInfinite(long x) {
        return (x & ~signBit & width) == expMask;
    }

    boolean isZero(long x) {
        return (x & ~signBit & width) == 0;
    }

    /** Subnormal ("denormal" in the SDM): exponent field zero, fraction not. */
    boolean isDenormal(long x) {
        return (x & expMask) == 0 && (x & fracMask) != 0;
    }

    int sign(long x) {
        return (x & signBit) != 0 ? 1 : 0;
    }

    long quiet(long x) {
        return x | quietBit;
    }

    /** Unbiased exponent of a finite non-zero value, subnormals normalised (see the class comment). */
    int exponent(long x) {
        int field = (int) ((x & expMask) >>> (precision - 1));
        if (field != 0) {
            return field - bias;
        }
        long frac = x & fracMask;
        int lead = 63 - Long.numberOfLeadingZeros(frac);
        return emin - precision + 1 + lead;
    }

    /** The significand of a finite non-zero value with its leading one at bit 62. */
    long significand(long x) {
        long frac = x & fracMask;
        if ((x & expMask) != 0) {
            return (frac | (1L << (precision - 1))) << (63 - precision);
        }
        return frac << (Long.numberOfLeadingZeros(frac) - 1);
    }

    long zero(int sign) {
        return sign != 0 ? signBit : 0;
    }

    long infinity(int sign) {
        return sign != 0 ? signBit | expMask : expMask;
    }
}
