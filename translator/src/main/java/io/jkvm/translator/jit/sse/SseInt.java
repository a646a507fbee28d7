package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;

/**
 * The SSE2 integer instructions on 128-bit registers held as two 64-bit halves.
 *
 * <p>Two shapes. Operations whose lanes never cross a 64-bit boundary are pure functions of one half of each
 * operand ({@code (long a, long b) -> long}); the emitter applies them to the low and the high halves, so they are
 * written once for 64 bits, stay tiny and inline. Packed byte/word/doubleword additions, subtractions and equality
 * tests use SWAR arithmetic (carries kept inside each lane by masking the lane's top bit), the rest loop over lanes,
 * which C2 unrolls. Operations that move data between halves (unpacks, packs, shuffles, byte shifts) take the CPU
 * state and the destination register number like the floating-point instructions.
 *
 * <p>No integer instruction raises a SIMD exception, so there is nothing to check before writing.
 */
public final class SseInt {
    private static final long H8 = 0x8080_8080_8080_8080L;
    private static final long H16 = 0x8000_8000_8000_8000L;
    private static final long H32 = 0x8000_0000_8000_0000L;
    private static final long LOW = 0xffff_ffffL;

    private SseInt() {
    }

    // ------------------------------------------------------------------ lane access

    private static int b(long v, int i) {
        return (int) (v >>> (8 * i)) & 0xff;
    }

    private static int sb(long v, int i) {
        return (byte) (v >>> (8 * i));
    }

    private static int w(long v, int i) {
        return (int) (v >>> (16 * i)) & 0xffff;
    }

    private static int sw(long v, int i) {
        return (short) (v >>> (16 * i));
    }

    private static long putB(long r, int i, int x) {
        return r | ((long) (x & 0xff) << (8 * i));
    }

    private static long putW(long r, int i, int x) {
        return r | ((long) (x & 0xffff) << (16 * i));
    }

    private static int clamp(int x, int lo, int hi) {
        return Math.max(lo, Math.min(hi, x));
    }

    // ------------------------------------------------------------------ add, subtract (wrapping: SWAR)

    public static long paddb(long a, long b) {
        return ((a & ~H8) + (b & ~H8)) ^ ((a ^ b) & H8);
    }

    public static long paddw(long a, long b) {
        return ((a & ~H16) + (b & ~H16)) ^ ((a ^ b) & H16);
    }

    public static long paddd(long a, long b) {
        return ((a & ~H32) + (b & ~H32)) ^ ((a ^ b) & H32);
    }

    public static long paddq(long a, long b) {
        return a + b;
    }

    public static long psubb(long a, long b) {
        return ((a | H8) - (b & ~H8)) ^ ((a ^ ~b) & H8);
    }

    public static long psubw(long a, long b) {
        return ((a | H16) - (b & ~H16)) ^ ((a ^ ~b) & H16);
    }

    public static long psubd(long a, long b) {
        return ((a | H32) - (b & ~H32)) ^ ((a ^ ~b) & H32);
    }

    public static long psubq(long a, long b) {
        return a - b;
    }

    // ------------------------------------------------------------------ saturating add, subtract

    public static long paddsb(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = putB(r, i, clamp(sb(a, i) + sb(b, i), -128, 127));
        }
        return r;
    }

    public static long paddusb(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = putB(r, i, Math.min(b(a, i) + b(b, i), 0xff));
        }
        return r;
    }

    public static long psubsb(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = putB(r, i, clamp(sb(a, i) - sb(b, i), -128, 127));
        }
        return r;
    }

    public static long psubusb(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = putB(r, i, Math.max(b(a, i) - b(b, i), 0));
        }
        return r;
    }

    public static long paddsw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, clamp(sw(a, i) + sw(b, i), -32768, 32767));
        }
        return r;
    }

    public static long paddusw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, Math.min(w(a, i) + w(b, i), 0xffff));
        }
        return r;
    }

    public static long psubsw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, clamp(sw(a, i) - sw(b, i), -32768, 32767));
        }
        return r;
    }

    public static long psubusw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, Math.max(w(a, i) - w(b, i), 0));
        }
        return r;
    }

    // ------------------------------------------------------------------ multiply

    public static long pmullw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, sw(a, i) * sw(b, i));
        }
        return r;
    }

    public static long pmulhw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, (sw(a, i) * sw(b, i)) >> 16);
        }
        return r;
    }

    public static long pmulhuw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, (w(a, i) * w(b, i)) >>> 16);
        }
        return r;
    }

    /** Unsigned 32x32->64 of the low doublewords. */
    public static long pmuludq(long a, long b) {
        return (a & LOW) * (b & LOW);
    }

    /** Sums of signed word products in doublewords; -32768*-32768*2 wraps to 0x80000000, as the hardware does. */
    public static long pmaddwd(long a, long b) {
        int lo = sw(a, 0) * sw(b, 0) + sw(a, 1) * sw(b, 1);
        int hi = sw(a, 2) * sw(b, 2) + sw(a, 3) * sw(b, 3);
        return (lo & LOW) | ((long) hi << 32);
    }

    // ------------------------------------------------------------------ compare

    /** 0xff in bytes where a == b: a byte of a^b is zero iff adding 0x7f to its low 7 bits leaves bit 7 clear. */
    public static long pcmpeqb(long a, long b) {
        long x = a ^ b;
        long nonzero = (((x & ~H8) + ~H8) | x) & H8;
        return ((nonzero ^ H8) >>> 7) * 0xff;
    }

    public static long pcmpeqw(long a, long b) {
        long x = a ^ b;
        long nonzero = (((x & ~H16) + ~H16) | x) & H16;
        return ((nonzero ^ H16) >>> 15) * 0xffff;
    }

    public static long pcmpeqd(long a, long b) {
        long x = a ^ b;
        long nonzero = (((x & ~H32) + ~H32) | x) & H32;
        return ((nonzero ^ H32) >>> 31) * LOW;
    }

    public static long pcmpgtb(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = putB(r, i, sb(a, i) > sb(b, i) ? 0xff : 0);
        }
        return r;
    }

    public static long pcmpgtw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, sw(a, i) > sw(b, i) ? 0xffff : 0);
        }
        return r;
    }

    public static long pcmpgtd(long a, long b) {
        return ((int) a > (int) b ? LOW : 0) | ((int) (a >>> 32) > (int) (b >>> 32) ? ~LOW : 0);
    }

    // ------------------------------------------------------------------ min, max, average, sum of differences

    public static long pminub(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = putB(r, i, Math.min(b(a, i), b(b, i)));
        }
        return r;
    }

    public static long pmaxub(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = putB(r, i, Math.max(b(a, i), b(b, i)));
        }
        return r;
    }

    public static long pminsw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, Math.min(sw(a, i), sw(b, i)));
        }
        return r;
    }

    public static long pmaxsw(long a, long b) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, Math.max(sw(a, i), sw(b, i)));
        }
        return r;
    }

    /** (a + b + 1) >> 1 per unsigned byte, as (a | b) - ((a ^ b) >> 1), which never borrows across lanes. */
    public static long pavgb(long a, long b) {
        return (a | b) - (((a ^ b) >>> 1) & 0x7f7f_7f7f_7f7f_7f7fL);
    }

    public static long pavgw(long a, long b) {
        return (a | b) - (((a ^ b) >>> 1) & 0x7fff_7fff_7fff_7fffL);
    }

    /** Sum of the eight absolute byte differences, in the low word (bits 63:16 zero). */
    public static long psadbw(long a, long b) {
        int s = 0;
        for (int i = 0; i < 8; i++) {
            s += Math.abs(b(a, i) - b(b, i));
        }
        return s;
    }

    // ------------------------------------------------------------------ logic

    public static long pandn(long a, long b) {
        return ~a & b;
    }

    // ------------------------------------------------------------------ shifts by a count (xmm/m128 low quadword or imm8)

    public static long psllw(long a, long count) {
        if (Long.compareUnsigned(count, 15) > 0) {
            return 0;
        }
        int n = (int) count;
        return (a << n) & (0x0001_0001_0001_0001L * ((0xffff << n) & 0xffff));
    }

    public static long psrlw(long a, long count) {
        if (Long.compareUnsigned(count, 15) > 0) {
            return 0;
        }
        int n = (int) count;
        return (a >>> n) & (0x0001_0001_0001_0001L * (0xffff >>> n));
    }

    public static long psraw(long a, long count) {
        int n = Long.compareUnsigned(count, 15) > 0 ? 15 : (int) count;
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, sw(a, i) >> n);
        }
        return r;
    }

    public static long pslld(long a, long count) {
        if (Long.compareUnsigned(count, 31) > 0) {
            return 0;
        }
        int n = (int) count;
        return (a << n) & (0x0000_0001_0000_0001L * ((LOW << n) & LOW));
    }

    public static long psrld(long a, long count) {
        if (Long.compareUnsigned(count, 31) > 0) {
            return 0;
        }
        int n = (int) count;
        return (a >>> n) & (0x0000_0001_0000_0001L * (LOW >>> n));
    }

    public static long psrad(long a, long count) {
        int n = Long.compareUnsigned(count, 31) > 0 ? 31 : (int) count;
        return (((int) a >> n) & LOW) | ((long) ((int) (a >>> 32) >> n) << 32);
    }

    public static long psllq(long a, long count) {
        return Long.compareUnsigned(count, 63) > 0 ? 0 : a << count;
    }

    public static long psrlq(long a, long count) {
        return Long.compareUnsigned(count, 63) > 0 ? 0 : a >>> count;
    }

    // ------------------------------------------------------------------ whole-register operations

    /** PSLLDQ xmm, imm8: shifts the register left by imm8 bytes (all out above 15). */
    public static void pslldq(CpuState c, int d, int imm) {
        long[] x = c.xmm;
        long lo = x[2 * d], hi = x[2 * d + 1];
        int n = imm & 0xff;
        if (n > 15) {
            lo = hi = 0;
        } else if (n >= 8) {
            hi = lo << (8 * (n - 8));
            lo = 0;
        } else if (n > 0) {
            hi = (hi << (8 * n)) | (lo >>> (64 - 8 * n));
            lo <<= 8 * n;
        }
        x[2 * d] = lo;
        x[2 * d + 1] = hi;
    }

    /** PSRLDQ xmm, imm8. */
    public static void psrldq(CpuState c, int d, int imm) {
        long[] x = c.xmm;
        long lo = x[2 * d], hi = x[2 * d + 1];
        int n = imm & 0xff;
        if (n > 15) {
            lo = hi = 0;
        } else if (n >= 8) {
            lo = hi >>> (8 * (n - 8));
            hi = 0;
        } else if (n > 0) {
            lo = (lo >>> (8 * n)) | (hi << (64 - 8 * n));
            hi >>>= 8 * n;
        }
        x[2 * d] = lo;
        x[2 * d + 1] = hi;
    }

    /** Interleaves the bytes of two quadwords: a0 b0 a1 b1 ... (PUNPCKLBW on the low halves, H on the high). */
    static long interleave8(long a, long b, int from) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putB(r, 2 * i, b(a, from + i));
            r = putB(r, 2 * i + 1, b(b, from + i));
        }
        return r;
    }

    static long interleave16(long a, long b, int from) {
        long r = 0;
        for (int i = 0; i < 2; i++) {
            r = putW(r, 2 * i, w(a, from + i));
            r = putW(r, 2 * i + 1, w(b, from + i));
        }
        return r;
    }

    /** PUNPCKLBW/PUNPCKHBW ({@code high}) xmm, xmm/m128. */
    public static void punpckbw(CpuState c, int d, long b0, long b1, boolean high) {
        long[] x = c.xmm;
        long a = high ? x[2 * d + 1] : x[2 * d];
        long b = high ? b1 : b0;
        x[2 * d] = interleave8(a, b, 0);
        x[2 * d + 1] = interleave8(a, b, 4);
    }

    /** PUNPCKLWD/PUNPCKHWD. */
    public static void punpckwd(CpuState c, int d, long b0, long b1, boolean high) {
        long[] x = c.xmm;
        long a = high ? x[2 * d + 1] : x[2 * d];
        long b = high ? b1 : b0;
        x[2 * d] = interleave16(a, b, 0);
        x[2 * d + 1] = interleave16(a, b, 2);
    }

    /** PUNPCKLDQ/PUNPCKHDQ, also UNPCKLPS/UNPCKHPS (the same bit movement). */
    public static void punpckdq(CpuState c, int d, long b0, long b1, boolean high) {
        long[] x = c.xmm;
        long a = high ? x[2 * d + 1] : x[2 * d];
        long b = high ? b1 : b0;
        x[2 * d] = (a & LOW) | (b << 32);
        x[2 * d + 1] = (a >>> 32) | (b & ~LOW);
    }

    /** PUNPCKLQDQ/PUNPCKHQDQ, also UNPCKLPD/UNPCKHPD. */
    public static void punpckqdq(CpuState c, int d, long b0, long b1, boolean high) {
        long[] x = c.xmm;
        if (high) {
            x[2 * d] = x[2 * d + 1];
            x[2 * d + 1] = b1;
        } else {
            x[2 * d + 1] = b0;
        }
    }

    private static long packSignedWords(long v) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putB(r, i, clamp(sw(v, i), -128, 127));
        }
        return r;
    }

    private static long packUnsignedWords(long v) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putB(r, i, clamp(sw(v, i), 0, 255));
        }
        return r;
    }

    private static long packSignedDwords(long v) {
        int lo = clamp((int) v, -32768, 32767);
        int hi = clamp((int) (v >>> 32), -32768, 32767);
        return (lo & 0xffffL) | ((long) (hi & 0xffff) << 16);
    }

    /** PACKSSWB xmm, xmm/m128: 16 signed words to signed-saturated bytes (destination first). */
    public static void packsswb(CpuState c, int d, long b0, long b1) {
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        x[2 * d] = packSignedWords(a0) | (packSignedWords(a1) << 32);
        x[2 * d + 1] = packSignedWords(b0) | (packSignedWords(b1) << 32);
    }

    /** PACKUSWB: signed words to unsigned-saturated bytes. */
    public static void packuswb(CpuState c, int d, long b0, long b1) {
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        x[2 * d] = packUnsignedWords(a0) | (packUnsignedWords(a1) << 32);
        x[2 * d + 1] = packUnsignedWords(b0) | (packUnsignedWords(b1) << 32);
    }

    /** PACKSSDW: signed doublewords to signed-saturated words. */
    public static void packssdw(CpuState c, int d, long b0, long b1) {
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        x[2 * d] = packSignedDwords(a0) | (packSignedDwords(a1) << 32);
        x[2 * d + 1] = packSignedDwords(b0) | (packSignedDwords(b1) << 32);
    }

    private static long dword(long lo, long hi, int i) {
        return ((i < 2 ? lo : hi) >>> (32 * (i & 1))) & LOW;
    }

    /** PSHUFD xmm, xmm/m128, imm8: destination doubleword i = source doubleword imm8[2i+1:2i]. */
    public static void pshufd(CpuState c, int d, long b0, long b1, int imm) {
        long[] x = c.xmm;
        x[2 * d] = dword(b0, b1, imm & 3) | (dword(b0, b1, (imm >>> 2) & 3) << 32);
        x[2 * d + 1] = dword(b0, b1, (imm >>> 4) & 3) | (dword(b0, b1, (imm >>> 6) & 3) << 32);
    }

    private static long shuffleWords(long v, int imm) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r = putW(r, i, w(v, (imm >>> (2 * i)) & 3));
        }
        return r;
    }

    /** PSHUFLW: shuffles the low four words, copies the high quadword. */
    public static void pshuflw(CpuState c, int d, long b0, long b1, int imm) {
        long[] x = c.xmm;
        x[2 * d] = shuffleWords(b0, imm);
        x[2 * d + 1] = b1;
    }

    /** PSHUFHW: shuffles the high four words, copies the low quadword. */
    public static void pshufhw(CpuState c, int d, long b0, long b1, int imm) {
        long[] x = c.xmm;
        x[2 * d] = b0;
        x[2 * d + 1] = shuffleWords(b1, imm);
    }

    /** SHUFPS xmm, xmm/m128, imm8: two doublewords from the destination, two from the source. */
    public static void shufps(CpuState c, int d, long b0, long b1, int imm) {
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        x[2 * d] = dword(a0, a1, imm & 3) | (dword(a0, a1, (imm >>> 2) & 3) << 32);
        x[2 * d + 1] = dword(b0, b1, (imm >>> 4) & 3) | (dword(b0, b1, (imm >>> 6) & 3) << 32);
    }

    /** SHUFPD xmm, xmm/m128, imm8. */
    public static void shufpd(CpuState c, int d, long b0, long b1, int imm) {
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        x[2 * d] = (imm & 1) != 0 ? a1 : a0;
        x[2 * d + 1] = (imm & 2) != 0 ? b1 : b0;
    }

    /** PINSRW xmm, r32/m16, imm8: word imm8[2:0] of the destination. */
    public static void pinsrw(CpuState c, int d, long v, int imm) {
        long[] x = c.xmm;
        int i = imm & 7;
        int slot = 2 * d + (i >>> 2);
        int shift = 16 * (i & 3);
        x[slot] = (x[slot] & ~(0xffffL << shift)) | ((v & 0xffff) << shift);
    }

    /** PEXTRW r32, xmm, imm8: word imm8[2:0], zero-extended. */
    public static long pextrw(long s0, long s1, int imm) {
        int i = imm & 7;
        return ((i < 4 ? s0 : s1) >>> (16 * (i & 3))) & 0xffff;
    }

    /** The top bit of each byte of a quadword, gathered into 8 bits. */
    private static long byteSigns(long v) {
        return (((v & H8) >>> 7) * 0x0102_0408_1020_4080L) >>> 56;
    }

    /** PMOVMSKB r32, xmm. */
    public static long pmovmskb(long s0, long s1) {
        return byteSigns(s0) | (byteSigns(s1) << 8);
    }

    /** MOVMSKPS r32, xmm: the four sign bits. */
    public static long movmskps(long s0, long s1) {
        return ((s0 >>> 31) & 1) | ((s0 >>> 62) & 2) | ((s1 >>> 29) & 4) | ((s1 >>> 60) & 8);
    }

    /** MOVMSKPD r32, xmm: the two sign bits. */
    public static long movmskpd(long s0, long s1) {
        return (s0 >>> 63) | ((s1 >>> 62) & 2);
    }
}
