package io.jkvm.translator.jit.sse;

import java.util.Random;

/**
 * Operand generators for the oracle tests: random bit patterns alone almost never produce the cases that matter
 * (NaNs, infinities, denormals, signed zeros, results near the overflow and underflow thresholds, exact halfway
 * cases, integer-conversion boundaries), so every generator mixes uniform bits with a catalogue of special values
 * and with values built to hit those boundaries.
 */
final class Values {
    final Random random;

    Values(long seed) {
        random = new Random(seed);
    }

    /** IEEE layout of one format: precision (with hidden bit) and exponent width. */
    record Layout(int precision, int exponentBits) {
        int bias() {
            return (1 << (exponentBits - 1)) - 1;
        }

        long width() {
            int bits = precision + exponentBits;
            return bits == 64 ? -1L : (1L << bits) - 1;
        }

        int maxField() {
            return (1 << exponentBits) - 1;
        }

        long pack(int sign, int field, long fraction) {
            int bits = precision + exponentBits;
            return ((long) sign << (bits - 1)) | ((long) field << (precision - 1))
                    | (fraction & ((1L << (precision - 1)) - 1));
        }
    }

    static final Layout SINGLE = new Layout(24, 8);
    static final Layout DOUBLE = new Layout(53, 11);

    private long fraction(Layout f) {
        long frac = random.nextLong() & ((1L << (f.precision() - 1)) - 1);
        return switch (random.nextInt(4)) {
            case 0 -> frac & -(1L << random.nextInt(f.precision() - 1)); // few low bits: exact results
            case 1 -> frac | ((1L << random.nextInt(f.precision() - 1)) - 1); // runs of ones: carries
            default -> frac;
        };
    }

    /** One floating-point value of layout {@code f} as raw bits. */
    long fp(Layout f) {
        int sign = random.nextInt(2);
        int bias = f.bias();
        int max = f.maxField();
        return switch (random.nextInt(16)) {
            case 0 -> special(f, sign);
            case 1 -> random.nextLong() & f.width(); // any bits
            case 2 -> f.pack(sign, 0, fraction(f) | 1); // denormal
            case 3 -> f.pack(sign, 1 + random.nextInt(f.precision() + 2), fraction(f)); // just above denormals
            case 4 -> f.pack(sign, max - 1 - random.nextInt(4), fraction(f)); // near overflow
            case 5 -> integerValued(f, sign);
            case 6 -> halfway(f, sign);
            default -> f.pack(sign, bias - 20 + random.nextInt(41), fraction(f)); // ordinary magnitudes
        };
    }

    /** Zeros, infinities, quiet and signalling NaNs, extremes, one. */
    long special(Layout f, int sign) {
        int max = f.maxField();
        long quiet = 1L << (f.precision() - 2);
        long fracMask = (1L << (f.precision() - 1)) - 1;
        return switch (random.nextInt(10)) {
            case 0 -> f.pack(sign, 0, 0);
            case 1 -> f.pack(sign, max, 0);
            case 2 -> f.pack(sign, max, quiet); // QNaN, the default NaN when negative
            case 3 -> f.pack(sign, max, quiet | (random.nextLong() & fracMask)); // QNaN with payload
            case 4 -> f.pack(sign, max, (random.nextLong() & (quiet - 1)) | 1); // SNaN
            case 5 -> f.pack(sign, 0, 1); // smallest denormal
            case 6 -> f.pack(sign, 0, fracMask); // largest denormal
            case 7 -> f.pack(sign, 1, 0); // smallest normal
            case 8 -> f.pack(sign, max - 1, fracMask); // largest finite
            default -> f.pack(sign, f.bias(), 0); // one
        };
    }

    /** Integers and values around the int32/int64 conversion limits. */
    private long integerValued(Layout f, int sign) {
        int e = switch (random.nextInt(4)) {
            case 0 -> 30 + random.nextInt(3);
            case 1 -> 62 + random.nextInt(3);
            default -> random.nextInt(f.precision() + 2);
        };
        long frac = fraction(f);
        if (random.nextBoolean() && e < f.precision() - 1) {
            frac &= -(1L << (f.precision() - 1 - e)); // integral
        }
        return f.pack(sign, f.bias() + e, frac);
    }

    /** x.5 values and their neighbours: ties for the integer conversions. */
    private long halfway(Layout f, int sign) {
        int e = random.nextInt(Math.min(f.precision() - 1, 40));
        int half = f.precision() - 2 - e; // fraction bit worth 2^-1
        long frac = (random.nextLong() & -(1L << (half + 1))) | (1L << half);
        long v = f.pack(sign, f.bias() + e, frac);
        return v + random.nextInt(3) - 1;
    }

    /**
     * A second operand related to {@code a} so that the operation lands near a boundary: a neighbour (cancellation,
     * comparisons of equal values), the same magnitude with either sign, or one whose exponent makes a product or
     * quotient land near the underflow or overflow threshold.
     */
    long related(Layout f, long a) {
        int bits = f.precision() + f.exponentBits();
        long signBit = 1L << (bits - 1);
        int field = (int) ((a >>> (f.precision() - 1)) & f.maxField());
        int e = field - f.bias();
        return switch (random.nextInt(8)) {
            case 0 -> a;
            case 1 -> a ^ signBit;
            case 2 -> a + random.nextInt(5) - 2;
            case 3 -> (a ^ signBit) + random.nextInt(5) - 2;
            case 4 -> f.pack(random.nextInt(2), clampField(f, 1 - f.bias() - e + random.nextInt(7) - 3 + f.bias()),
                    fraction(f)); // product near the smallest normal
            case 5 -> f.pack(random.nextInt(2), clampField(f, f.bias() - e + random.nextInt(7) - 3 + f.bias()),
                    fraction(f)); // product near the largest finite
            case 6 -> f.pack(random.nextInt(2), clampField(f, e - (1 - f.bias()) + random.nextInt(7) - 3 + f.bias()),
                    fraction(f)); // quotient near the smallest normal
            default -> fp(f);
        };
    }

    private static int clampField(Layout f, int field) {
        return Math.max(0, Math.min(f.maxField(), field));
    }

    /** Two doubles (a register's halves), each lane from {@link #fp}. */
    long[] doubles() {
        return new long[]{fp(DOUBLE), fp(DOUBLE)};
    }

    /** A second operand whose lanes are {@link #related} to those of {@code a} half of the time. */
    long[] doublesRelatedTo(long[] a) {
        long[] r = new long[2];
        for (int i = 0; i < 2; i++) {
            r[i] = random.nextBoolean() ? related(DOUBLE, a[i]) : fp(DOUBLE);
        }
        return r;
    }

    long[] singles() {
        long[] r = new long[2];
        for (int i = 0; i < 2; i++) {
            r[i] = (fp(SINGLE) & 0xffff_ffffL) | (fp(SINGLE) << 32);
        }
        return r;
    }

    long[] singlesRelatedTo(long[] a) {
        long[] r = new long[2];
        for (int i = 0; i < 2; i++) {
            long lo = random.nextBoolean() ? related(SINGLE, a[i] & 0xffff_ffffL) : fp(SINGLE);
            long hi = random.nextBoolean() ? related(SINGLE, a[i] >>> 32) : fp(SINGLE);
            r[i] = (lo & 0xffff_ffffL) | (hi << 32);
        }
        return r;
    }

    /** Integer lanes: uniform bits or bytes/words from the saturation and sign boundaries. */
    long integers() {
        if (random.nextInt(3) > 0) {
            return random.nextLong();
        }
        long[] edges = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fff_ffffL, 0x8000_0000L};
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (edges[random.nextInt(edges.length)] & 0xff) << (8 * i);
        }
        if (random.nextBoolean()) {
            v = 0;
            for (int i = 0; i < 4; i++) {
                v |= (edges[random.nextInt(edges.length)] & 0xffff) << (16 * i);
            }
        }
        return v;
    }

    /**
     * An MXCSR: the defaults, the defaults with PE (the arithmetic fast path), or random controls; exceptions are
     * unmasked only when {@code unmask}, and then in a minority of vectors.
     */
    int mxcsr(boolean unmask) {
        switch (random.nextInt(8)) {
            case 0, 1:
                return 0x1f80;
            case 2, 3:
                return 0x1f80 | 0x20 | (random.nextInt(4) == 0 ? random.nextInt(64) : 0);
            default:
                int m = random.nextInt(4) << 13;
                if (random.nextInt(4) == 0) {
                    m |= 0x40; // DAZ
                }
                if (random.nextInt(4) == 0) {
                    m |= 0x8000; // FTZ
                }
                m |= random.nextBoolean() ? random.nextInt(64) : 0;
                int masks = 0x3f;
                if (unmask && random.nextInt(5) == 0) {
                    masks = random.nextInt(64);
                }
                return m | masks << 7;
        }
    }
}
