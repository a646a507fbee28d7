package io.jkvm.translator.decoder;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reproducible random 15-byte sequences for the objdump sweep. A quarter are uniform random bytes; the rest are
 * shaped like instructions so that the rare parts of the encoding space get hit often: 0-4 legacy prefixes (in
 * any order, repeats allowed), a REX in 64-bit mode, an escape chosen among one-byte, 0F, 0F 38, 0F 3A, VEX
 * (C5/C4), EVEX (62), XOP (8F) and 3DNow! (0F 0F) with plausible map fields, then a ModRM biased towards the
 * SIB, displacement and RIP-relative forms. Whatever follows is random, which exercises immediates.
 */
final class RandomInstructions {
    static final int LENGTH = 15;

    private static final int[] PREFIXES = {0x66, 0x66, 0x67, 0xF2, 0xF2, 0xF3, 0xF3, 0xF0, 0x26, 0x2E, 0x36, 0x3E,
            0x64, 0x65};

    private RandomInstructions() {
    }

    static List<byte[]> generate(CodeSize mode, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(one(r, mode));
        }
        return out;
    }

    private static byte[] one(SplittableRandom r, CodeSize mode) {
        byte[] b = new byte[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        if (r.nextInt(4) == 0) {
            return b;
        }
        int p = 0;
        int prefixes = weighted(r, 45, 30, 15, 7, 3);
        for (int i = 0; i < prefixes; i++) {
            b[p++] = (byte) PREFIXES[r.nextInt(PREFIXES.length)];
        }
        boolean long64 = mode == CodeSize.BITS64;
        if (long64 && r.nextInt(10) < 3) {
            b[p++] = (byte) (0x40 | r.nextInt(16));
        }
        switch (weighted(r, 30, 30, 10, 8, 5, 6, 4, 4, 3)) {
            case 0 -> { }                                   // one-byte map
            case 1 -> b[p++] = 0x0F;                        // two-byte map
            case 2 -> { b[p++] = 0x0F; b[p++] = 0x38; }
            case 3 -> { b[p++] = 0x0F; b[p++] = 0x3A; }
            case 4 -> {                                     // VEX2
                b[p++] = (byte) 0xC5;
                b[p++] = (byte) vexFirst(r, long64, r.nextInt(256));
            }
            case 5 -> {                                     // VEX3, map 1-3 mostly
                b[p++] = (byte) 0xC4;
                int map = r.nextInt(8) == 0 ? r.nextInt(32) : 1 + r.nextInt(3);
                b[p++] = (byte) vexFirst(r, long64, r.nextInt(8) << 5 | map);
                b[p++] = (byte) r.nextInt(256);
            }
            case 6 -> {                                     // EVEX, reserved bits mostly right
                b[p++] = 0x62;
                int map = r.nextInt(8) == 0 ? r.nextInt(8) : new int[] {1, 2, 3, 5, 6}[r.nextInt(5)];
                b[p++] = (byte) vexFirst(r, long64, r.nextInt(16) << 4 | map);
                b[p++] = (byte) (r.nextInt(256) | (r.nextInt(8) == 0 ? 0 : 0x04));
                b[p++] = (byte) r.nextInt(256);
            }
            case 7 -> {                                     // XOP, map 8-10 mostly
                b[p++] = (byte) 0x8F;
                int map = r.nextInt(8) == 0 ? r.nextInt(32) : 8 + r.nextInt(3);
                b[p++] = (byte) (r.nextInt(8) << 5 | map);
                b[p++] = (byte) r.nextInt(256);
            }
            default -> { b[p++] = 0x0F; b[p++] = 0x0F; }    // 3DNow!
        }
        p++; // the opcode stays random
        if (p < LENGTH) {
            b[p] = (byte) modrm(r);
        }
        return b;
    }

    /** Outside 64-bit mode, C4/C5/62 are VEX/EVEX only when the next byte looks like a register ModRM. */
    private static int vexFirst(SplittableRandom r, boolean long64, int v) {
        if (!long64 && r.nextInt(5) != 0) {
            v |= 0xC0;
        }
        return v;
    }

    private static int modrm(SplittableRandom r) {
        int reg = r.nextInt(8);
        return switch (weighted(r, 25, 25, 20, 15, 15)) {
            case 0 -> 0xC0 | reg << 3 | r.nextInt(8);           // register form
            case 1 -> r.nextInt(3) << 6 | reg << 3 | 4;         // SIB
            case 2 -> reg << 3 | 5;                             // disp32 / RIP-relative
            case 3 -> r.nextInt(1, 3) << 6 | reg << 3 | r.nextInt(8); // disp8/disp32
            default -> r.nextInt(256);
        };
    }

    private static int weighted(SplittableRandom r, int... weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int x = r.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            x -= weights[i];
            if (x < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }
}
