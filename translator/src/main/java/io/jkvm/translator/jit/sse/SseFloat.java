package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;

import static io.jkvm.translator.jit.sse.Mxcsr.*;

/**
 * SSE/SSE2 floating-point instructions as generated code calls them: one static method per instruction shape,
 * taking the CPU state, the destination XMM register number and the source operand already loaded (a register's
 * halves or the bytes read from memory), so that every fault of the memory access happens before any state
 * changes.
 *
 * <p>Each method has a fast path for the overwhelmingly common case and falls back to {@link SoftFloat}. The fast
 * path runs the JVM's own IEEE 754 arithmetic (which HotSpot compiles to the very SSE instruction being emulated)
 * when that is provably the exact answer <em>and</em> raises no exception flag that is not already set:
 * <ul>
 * <li>MXCSR holds the default controls with PE already set ({@link Mxcsr#fastArith}). Round-to-nearest is what the
 *     JVM computes; PE is the only flag an ordinary operation raises, and it is sticky, so it need not be computed.
 *     Until the first inexact result sets it, the slow path runs (and sets it).</li>
 * <li>No operand is a denormal (DE) and the result is finite and not tiny (no IE, ZE, OE, UE, and no NaN, whose
 *     bits the JVM does not define), except for results that are exact by construction: sums of finite numbers
 *     (tiny sums are exact), and zero products or quotients of a zero operand.</li>
 * </ul>
 * Comparisons, MIN/MAX and widening conversions raise flags only for NaN or denormal operands, so their fast path
 * needs no MXCSR test at all. Lane results are computed first and written only when every lane is done: an unmasked
 * exception in any lane must leave the destination unchanged.
 */
public final class SseFloat {
    /** Binary operations, as indices into the lane functions. */
    static final int ADD = 0, SUB = 1, MUL = 2, DIV = 3, MIN = 4, MAX = 5;

    /** What a fast lane returns when it cannot answer: a signalling NaN, which no fast path ever produces. */
    private static final long SLOW64 = 0x7ff0_0000_0000_0001L;
    private static final int SLOW32 = 0x7f80_0001;

    private static final long EXP64 = 0x7ff0_0000_0000_0000L;
    private static final int EXP32 = 0x7f80_0000;
    private static final long LOW = 0xffff_ffffL;

    /**
     * CMPxx predicates 0-7 (imm8[2:0]: EQ, LT, LE, UNORD, NEQ, NLT, NLE, ORD) as the set of relations for which
     * they are true: bit {@link SoftFloat#LESS}, {@code EQUAL}, {@code GREATER}, {@code UNORDERED}.
     */
    private static final int[] PREDICATE = {0b0010, 0b0001, 0b0011, 0b1000, 0b1101, 0b1110, 0b1100, 0b0111};
    /** Predicates that signal IE on a QNaN too (LT, LE, NLT, NLE). */
    private static final int SIGNALLING_PREDICATES = 0b0110_0110;

    private SseFloat() {
    }

    private static double d(long bits) {
        return Double.longBitsToDouble(bits);
    }

    private static float f(int bits) {
        return Float.intBitsToFloat(bits);
    }

    private static boolean denormal64(long x) {
        return (x & EXP64) == 0 && (x << 1) != 0;
    }

    private static boolean denormal32(int x) {
        return (x & EXP32) == 0 && (x << 1) != 0;
    }

    private static final long EXP_UNIT64 = 1L << 52;

    /**
     * Neither operand is a denormal, in one test and branch when no exponent field is zero (subtracting one unit
     * from a zero exponent field, and only from that, makes the value negative); zeros take the closer look.
     */
    private static boolean noDenormal64(long a, long b) {
        return (((a & EXP64) - EXP_UNIT64) | ((b & EXP64) - EXP_UNIT64)) >= 0 || !(denormal64(a) || denormal64(b));
    }

    private static boolean noDenormal32(int a, int b) {
        return (((a & EXP32) - (1 << 23)) | ((b & EXP32) - (1 << 23))) >= 0 || !(denormal32(a) || denormal32(b));
    }

    private static final long EXP32X2 = 0x7f80_0000_7f80_0000L, TOP32X2 = 0x8000_0000_8000_0000L,
            UNIT32X2 = 0x0080_0000_0080_0000L;

    /**
     * Bit 31 of each 32-bit lane set iff that lane's exponent field is not zero: with bit 31 forced on first, the
     * per-lane subtraction of one exponent unit cannot borrow across lanes.
     */
    private static long nonZeroExponents(long v) {
        return ((v & EXP32X2) | TOP32X2) - UNIT32X2;
    }

    /** No lane of the four packed-single quadwords has a zero exponent field (zero or denormal). */
    private static boolean ordinaryLanes(long a0, long a1, long b0, long b1) {
        return (nonZeroExponents(a0) & nonZeroExponents(a1) & nonZeroExponents(b0) & nonZeroExponents(b1)
                & TOP32X2) == TOP32X2;
    }

    // ------------------------------------------------------------------ lanes

    /**
     * One double lane of a binary operation on the fast path, or {@link #SLOW64}. The switch folds away when the
     * emitter's constant {@code op} reaches it after inlining; each case is small enough to inline.
     */
    static long fast64(int op, long a, long b) {
        return noDenormal64(a, b) ? result64(op, a, b) : SLOW64;
    }

    /** {@link #fast64} for operands known not to be denormals: only the result decides. */
    static long result64(int op, long a, long b) {
        return switch (op) {
            case ADD -> add64(a, b);
            case SUB -> sub64(a, b);
            case MUL -> mul64(a, b);
            case DIV -> div64(a, b);
            case MIN -> min64(a, b);
            default -> max64(a, b);
        };
    }

    /** A sum is exact-or-PE unless it overflowed or met a NaN or infinity, all of which the result shows. */
    private static long sum64(double r) {
        return Math.abs(r) <= Double.MAX_VALUE ? Double.doubleToRawLongBits(r) : SLOW64;
    }

    /** A product is ordinary when normal and finite, or zero because an operand is zero (exact). */
    private static long product64(double r, long a, long b) {
        double m = Math.abs(r);
        if ((m > Double.MIN_NORMAL && m <= Double.MAX_VALUE) || (r == 0 && ((a << 1) == 0 || (b << 1) == 0))) {
            return Double.doubleToRawLongBits(r);
        }
        return SLOW64;
    }

    /** A quotient is ordinary when normal and finite, or zero because the dividend is zero (exact). */
    private static long quotient64(double r, long a) {
        double m = Math.abs(r);
        if ((m > Double.MIN_NORMAL && m <= Double.MAX_VALUE) || (r == 0 && (a << 1) == 0)) {
            return Double.doubleToRawLongBits(r);
        }
        return SLOW64;
    }

    /** One single lane of a binary operation on the fast path, or {@link #SLOW32}. */
    static int fast32(int op, int a, int b) {
        return noDenormal32(a, b) ? result32(op, a, b) : SLOW32;
    }

    static int result32(int op, int a, int b) {
        return switch (op) {
            case ADD -> add32(a, b);
            case SUB -> sub32(a, b);
            case MUL -> mul32(a, b);
            case DIV -> div32(a, b);
            case MIN -> min32(a, b);
            default -> max32(a, b);
        };
    }

    private static int sum32(float r) {
        return Math.abs(r) <= Float.MAX_VALUE ? Float.floatToRawIntBits(r) : SLOW32;
    }

    private static int product32(float r, int a, int b) {
        float m = Math.abs(r);
        if ((m > Float.MIN_NORMAL && m <= Float.MAX_VALUE) || (r == 0 && ((a << 1) == 0 || (b << 1) == 0))) {
            return Float.floatToRawIntBits(r);
        }
        return SLOW32;
    }

    private static int quotient32(float r, int a) {
        float m = Math.abs(r);
        if ((m > Float.MIN_NORMAL && m <= Float.MAX_VALUE) || (r == 0 && (a << 1) == 0)) {
            return Float.floatToRawIntBits(r);
        }
        return SLOW32;
    }

    /** One lane in full generality (flags into {@code c.mxcsr}). */
    static long soft(CpuState c, Format f, int op, long a, long b) {
        return switch (op) {
            case ADD -> SoftFloat.add(c, f, a, b);
            case SUB -> SoftFloat.sub(c, f, a, b);
            case MUL -> SoftFloat.mul(c, f, a, b);
            case DIV -> SoftFloat.div(c, f, a, b);
            case MIN -> SoftFloat.minMax(c, f, a, b, false);
            default -> SoftFloat.minMax(c, f, a, b, true);
        };
    }

    /** MIN/MAX need no MXCSR test on the fast path (they round nothing); arithmetic needs {@link Mxcsr#fastArith}. */
    private static boolean fastControls(int op, int mxcsr) {
        return op >= MIN || fastArith(mxcsr);
    }

    // ------------------------------------------------------------------ binary arithmetic, MIN, MAX

    /** ADDPD/SUBPD/MULPD/DIVPD/MINPD/MAXPD xmm, xmm/m128. */
    public static void packedDouble(CpuState c, int d, long b0, long b1, int op) {
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        if (fastControls(op, c.mxcsr)) {
            long r0 = fast64(op, a0, b0);
            long r1 = fast64(op, a1, b1);
            if (r0 != SLOW64 && r1 != SLOW64) {
                x[2 * d] = r0;
                x[2 * d + 1] = r1;
                return;
            }
        }
        packedDoubleSlow(c, d, a0, a1, b0, b1, op);
    }

    private static void packedDoubleSlow(CpuState c, int d, long a0, long a1, long b0, long b1, int op) {
        int before = begin(c);
        long r0 = soft(c, Format.DOUBLE, op, a0, b0);
        long r1 = soft(c, Format.DOUBLE, op, a1, b1);
        end(c, before);
        c.xmm[2 * d] = r0;
        c.xmm[2 * d + 1] = r1;
    }

    /** ADDSD ... MAXSD xmm, xmm/m64: the low lane; the high quadword is kept. */
    public static void scalarDouble(CpuState c, int d, long b, int op) {
        long[] x = c.xmm;
        long a = x[2 * d];
        if (fastControls(op, c.mxcsr)) {
            long r = fast64(op, a, b);
            if (r != SLOW64) {
                x[2 * d] = r;
                return;
            }
        }
        scalarSlow(c, d, a, b, op, Format.DOUBLE);
    }

    private static void scalarSlow(CpuState c, int d, long a, long b, int op, Format f) {
        int before = begin(c);
        long r = soft(c, f, op, a & f.width, b & f.width);
        end(c, before);
        c.xmm[2 * d] = (a & ~f.width) | r;
    }

    /** ADDPS ... MAXPS xmm, xmm/m128: four single lanes, two per quadword. */
    public static void packedSingle(CpuState c, int d, long b0, long b1, int op) {
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        if (fastControls(op, c.mxcsr) && ordinaryLanes(a0, a1, b0, b1)) {
            // No lane is zero or denormal: only the results decide.
            int r0 = result32(op, (int) a0, (int) b0);
            int r1 = result32(op, (int) (a0 >>> 32), (int) (b0 >>> 32));
            int r2 = result32(op, (int) a1, (int) b1);
            int r3 = result32(op, (int) (a1 >>> 32), (int) (b1 >>> 32));
            if (r0 != SLOW32 && r1 != SLOW32 && r2 != SLOW32 && r3 != SLOW32) {
                x[2 * d] = pair(r0, r1);
                x[2 * d + 1] = pair(r2, r3);
                return;
            }
        }
        packedSingleZeros(c, d, a0, a1, b0, b1, op);
    }

    /** PS operations with a zero or denormal lane: zeros still take a fast path, lane by lane. */
    private static void packedSingleZeros(CpuState c, int d, long a0, long a1, long b0, long b1, int op) {
        long[] x = c.xmm;
        if (fastControls(op, c.mxcsr)) {
            int r0 = fast32(op, (int) a0, (int) b0);
            int r1 = fast32(op, (int) (a0 >>> 32), (int) (b0 >>> 32));
            int r2 = fast32(op, (int) a1, (int) b1);
            int r3 = fast32(op, (int) (a1 >>> 32), (int) (b1 >>> 32));
            if (r0 != SLOW32 && r1 != SLOW32 && r2 != SLOW32 && r3 != SLOW32) {
                x[2 * d] = pair(r0, r1);
                x[2 * d + 1] = pair(r2, r3);
                return;
            }
        }
        packedSingleSlow(c, d, a0, a1, b0, b1, op);
    }

    private static void packedSingleSlow(CpuState c, int d, long a0, long a1, long b0, long b1, int op) {
        int before = begin(c);
        long r0 = soft(c, Format.SINGLE, op, a0 & LOW, b0 & LOW);
        long r1 = soft(c, Format.SINGLE, op, a0 >>> 32, b0 >>> 32);
        long r2 = soft(c, Format.SINGLE, op, a1 & LOW, b1 & LOW);
        long r3 = soft(c, Format.SINGLE, op, a1 >>> 32, b1 >>> 32);
        end(c, before);
        c.xmm[2 * d] = pair(r0, r1);
        c.xmm[2 * d + 1] = pair(r2, r3);
    }

    /** ADDSS ... MAXSS xmm, xmm/m32: the low lane (low 32 bits of {@code b}); bits 127:32 are kept. */
    public static void scalarSingle(CpuState c, int d, long b, int op) {
        long[] x = c.xmm;
        long a = x[2 * d];
        if (fastControls(op, c.mxcsr)) {
            int r = fast32(op, (int) a, (int) b);
            if (r != SLOW32) {
                x[2 * d] = (a & ~LOW) | (r & LOW);
                return;
            }
        }
        scalarSlow(c, d, a, b, op, Format.SINGLE);
    }

    private static long pair(int lo, int hi) {
        return (lo & LOW) | ((long) hi << 32);
    }

    private static long pair(long lo, long hi) {
        return (lo & LOW) | (hi << 32);
    }

    // ------------------------------------------------------------------ per-instruction entry points

    /*
     * One method per mnemonic for the hot arithmetic, so that each one compiles to the code of its own operation:
     * HotSpot inlines a callee only while its compiled code is small, and a method taking the operation as a
     * parameter gets compiled for all six at once when called from interpreted regions, and is then too big to
     * inline anywhere. The fast paths are the lane functions above; anything they decline goes to the generic
     * method of the shape, which is cold.
     */

    /** ADDSD xmm, xmm/m64. */
    public static void addsd(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (fastArith(c.mxcsr) && noDenormal64(a, b)) {
            double x = d(a), y = d(b);
            long v = sum64(x + y);
            if (v != SLOW64) {
                r[2 * d] = v;
                return;
            }
        }
        scalarDouble(c, d, b, ADD);
    }

    /** ADDPD xmm, xmm/m128. */
    public static void addpd(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (fastArith(c.mxcsr) && noDenormal64(a0, b0) && noDenormal64(a1, b1)) {
            long v0 = add64(a0, b0), v1 = add64(a1, b1);
            if (v0 != SLOW64 && v1 != SLOW64) {
                r[2 * d] = v0;
                r[2 * d + 1] = v1;
                return;
            }
        }
        packedDouble(c, d, b0, b1, ADD);
    }

    /** ADDSS xmm, xmm/m32. */
    public static void addss(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (fastArith(c.mxcsr) && noDenormal32((int) a, (int) b)) {
            int v = add32((int) a, (int) b);
            if (v != SLOW32) {
                r[2 * d] = (a & ~LOW) | (v & LOW);
                return;
            }
        }
        scalarSingle(c, d, b, ADD);
    }

    /** ADDPS xmm, xmm/m128. */
    public static void addps(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (fastArith(c.mxcsr) && ordinaryLanes(a0, a1, b0, b1)) {
            int v0 = add32((int) a0, (int) b0);
            int v1 = add32((int) (a0 >>> 32), (int) (b0 >>> 32));
            int v2 = add32((int) a1, (int) b1);
            int v3 = add32((int) (a1 >>> 32), (int) (b1 >>> 32));
            if (v0 != SLOW32 && v1 != SLOW32 && v2 != SLOW32 && v3 != SLOW32) {
                r[2 * d] = pair(v0, v1);
                r[2 * d + 1] = pair(v2, v3);
                return;
            }
        }
        packedSingle(c, d, b0, b1, ADD);
    }

    private static long add64(long a, long b) {
        double x = d(a), y = d(b);
        return sum64(x + y);
    }

    private static int add32(int a, int b) {
        float x = f(a), y = f(b);
        return sum32(x + y);
    }

    /** SUBSD xmm, xmm/m64. */
    public static void subsd(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (fastArith(c.mxcsr) && noDenormal64(a, b)) {
            double x = d(a), y = d(b);
            long v = sum64(x - y);
            if (v != SLOW64) {
                r[2 * d] = v;
                return;
            }
        }
        scalarDouble(c, d, b, SUB);
    }

    /** SUBPD xmm, xmm/m128. */
    public static void subpd(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (fastArith(c.mxcsr) && noDenormal64(a0, b0) && noDenormal64(a1, b1)) {
            long v0 = sub64(a0, b0), v1 = sub64(a1, b1);
            if (v0 != SLOW64 && v1 != SLOW64) {
                r[2 * d] = v0;
                r[2 * d + 1] = v1;
                return;
            }
        }
        packedDouble(c, d, b0, b1, SUB);
    }

    /** SUBSS xmm, xmm/m32. */
    public static void subss(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (fastArith(c.mxcsr) && noDenormal32((int) a, (int) b)) {
            int v = sub32((int) a, (int) b);
            if (v != SLOW32) {
                r[2 * d] = (a & ~LOW) | (v & LOW);
                return;
            }
        }
        scalarSingle(c, d, b, SUB);
    }

    /** SUBPS xmm, xmm/m128. */
    public static void subps(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (fastArith(c.mxcsr) && ordinaryLanes(a0, a1, b0, b1)) {
            int v0 = sub32((int) a0, (int) b0);
            int v1 = sub32((int) (a0 >>> 32), (int) (b0 >>> 32));
            int v2 = sub32((int) a1, (int) b1);
            int v3 = sub32((int) (a1 >>> 32), (int) (b1 >>> 32));
            if (v0 != SLOW32 && v1 != SLOW32 && v2 != SLOW32 && v3 != SLOW32) {
                r[2 * d] = pair(v0, v1);
                r[2 * d + 1] = pair(v2, v3);
                return;
            }
        }
        packedSingle(c, d, b0, b1, SUB);
    }

    private static long sub64(long a, long b) {
        double x = d(a), y = d(b);
        return sum64(x - y);
    }

    private static int sub32(int a, int b) {
        float x = f(a), y = f(b);
        return sum32(x - y);
    }

    /** MULSD xmm, xmm/m64. */
    public static void mulsd(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (fastArith(c.mxcsr) && noDenormal64(a, b)) {
            double x = d(a), y = d(b);
            long v = product64(x * y, a, b);
            if (v != SLOW64) {
                r[2 * d] = v;
                return;
            }
        }
        scalarDouble(c, d, b, MUL);
    }

    /** MULPD xmm, xmm/m128. */
    public static void mulpd(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (fastArith(c.mxcsr) && noDenormal64(a0, b0) && noDenormal64(a1, b1)) {
            long v0 = mul64(a0, b0), v1 = mul64(a1, b1);
            if (v0 != SLOW64 && v1 != SLOW64) {
                r[2 * d] = v0;
                r[2 * d + 1] = v1;
                return;
            }
        }
        packedDouble(c, d, b0, b1, MUL);
    }

    /** MULSS xmm, xmm/m32. */
    public static void mulss(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (fastArith(c.mxcsr) && noDenormal32((int) a, (int) b)) {
            int v = mul32((int) a, (int) b);
            if (v != SLOW32) {
                r[2 * d] = (a & ~LOW) | (v & LOW);
                return;
            }
        }
        scalarSingle(c, d, b, MUL);
    }

    /** MULPS xmm, xmm/m128. */
    public static void mulps(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (fastArith(c.mxcsr) && ordinaryLanes(a0, a1, b0, b1)) {
            int v0 = mul32((int) a0, (int) b0);
            int v1 = mul32((int) (a0 >>> 32), (int) (b0 >>> 32));
            int v2 = mul32((int) a1, (int) b1);
            int v3 = mul32((int) (a1 >>> 32), (int) (b1 >>> 32));
            if (v0 != SLOW32 && v1 != SLOW32 && v2 != SLOW32 && v3 != SLOW32) {
                r[2 * d] = pair(v0, v1);
                r[2 * d + 1] = pair(v2, v3);
                return;
            }
        }
        packedSingle(c, d, b0, b1, MUL);
    }

    private static long mul64(long a, long b) {
        double x = d(a), y = d(b);
        return product64(x * y, a, b);
    }

    private static int mul32(int a, int b) {
        float x = f(a), y = f(b);
        return product32(x * y, a, b);
    }

    /** DIVSD xmm, xmm/m64. */
    public static void divsd(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (fastArith(c.mxcsr) && noDenormal64(a, b)) {
            double x = d(a), y = d(b);
            long v = quotient64(x / y, a);
            if (v != SLOW64) {
                r[2 * d] = v;
                return;
            }
        }
        scalarDouble(c, d, b, DIV);
    }

    /** DIVPD xmm, xmm/m128. */
    public static void divpd(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (fastArith(c.mxcsr) && noDenormal64(a0, b0) && noDenormal64(a1, b1)) {
            long v0 = div64(a0, b0), v1 = div64(a1, b1);
            if (v0 != SLOW64 && v1 != SLOW64) {
                r[2 * d] = v0;
                r[2 * d + 1] = v1;
                return;
            }
        }
        packedDouble(c, d, b0, b1, DIV);
    }

    /** DIVSS xmm, xmm/m32. */
    public static void divss(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (fastArith(c.mxcsr) && noDenormal32((int) a, (int) b)) {
            int v = div32((int) a, (int) b);
            if (v != SLOW32) {
                r[2 * d] = (a & ~LOW) | (v & LOW);
                return;
            }
        }
        scalarSingle(c, d, b, DIV);
    }

    /** DIVPS xmm, xmm/m128. */
    public static void divps(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (fastArith(c.mxcsr) && ordinaryLanes(a0, a1, b0, b1)) {
            int v0 = div32((int) a0, (int) b0);
            int v1 = div32((int) (a0 >>> 32), (int) (b0 >>> 32));
            int v2 = div32((int) a1, (int) b1);
            int v3 = div32((int) (a1 >>> 32), (int) (b1 >>> 32));
            if (v0 != SLOW32 && v1 != SLOW32 && v2 != SLOW32 && v3 != SLOW32) {
                r[2 * d] = pair(v0, v1);
                r[2 * d + 1] = pair(v2, v3);
                return;
            }
        }
        packedSingle(c, d, b0, b1, DIV);
    }

    private static long div64(long a, long b) {
        double x = d(a), y = d(b);
        return quotient64(x / y, a);
    }

    private static int div32(int a, int b) {
        float x = f(a), y = f(b);
        return quotient32(x / y, a);
    }

    /** MINSD xmm, xmm/m64. */
    public static void minsd(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (noDenormal64(a, b)) {
            double x = d(a), y = d(b);
            long v = x == x && y == y ? (x < y ? a : b) : SLOW64;
            if (v != SLOW64) {
                r[2 * d] = v;
                return;
            }
        }
        scalarDouble(c, d, b, MIN);
    }

    /** MINPD xmm, xmm/m128. */
    public static void minpd(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (noDenormal64(a0, b0) && noDenormal64(a1, b1)) {
            long v0 = min64(a0, b0), v1 = min64(a1, b1);
            if (v0 != SLOW64 && v1 != SLOW64) {
                r[2 * d] = v0;
                r[2 * d + 1] = v1;
                return;
            }
        }
        packedDouble(c, d, b0, b1, MIN);
    }

    /** MINSS xmm, xmm/m32. */
    public static void minss(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (noDenormal32((int) a, (int) b)) {
            int v = min32((int) a, (int) b);
            if (v != SLOW32) {
                r[2 * d] = (a & ~LOW) | (v & LOW);
                return;
            }
        }
        scalarSingle(c, d, b, MIN);
    }

    /** MINPS xmm, xmm/m128. */
    public static void minps(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (ordinaryLanes(a0, a1, b0, b1)) {
            int v0 = min32((int) a0, (int) b0);
            int v1 = min32((int) (a0 >>> 32), (int) (b0 >>> 32));
            int v2 = min32((int) a1, (int) b1);
            int v3 = min32((int) (a1 >>> 32), (int) (b1 >>> 32));
            if (v0 != SLOW32 && v1 != SLOW32 && v2 != SLOW32 && v3 != SLOW32) {
                r[2 * d] = pair(v0, v1);
                r[2 * d + 1] = pair(v2, v3);
                return;
            }
        }
        packedSingle(c, d, b0, b1, MIN);
    }

    private static long min64(long a, long b) {
        double x = d(a), y = d(b);
        return x == x && y == y ? (x < y ? a : b) : SLOW64;
    }

    private static int min32(int a, int b) {
        float x = f(a), y = f(b);
        return x == x && y == y ? (x < y ? a : b) : SLOW32;
    }

    /** MAXSD xmm, xmm/m64. */
    public static void maxsd(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (noDenormal64(a, b)) {
            double x = d(a), y = d(b);
            long v = x == x && y == y ? (x > y ? a : b) : SLOW64;
            if (v != SLOW64) {
                r[2 * d] = v;
                return;
            }
        }
        scalarDouble(c, d, b, MAX);
    }

    /** MAXPD xmm, xmm/m128. */
    public static void maxpd(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (noDenormal64(a0, b0) && noDenormal64(a1, b1)) {
            long v0 = max64(a0, b0), v1 = max64(a1, b1);
            if (v0 != SLOW64 && v1 != SLOW64) {
                r[2 * d] = v0;
                r[2 * d + 1] = v1;
                return;
            }
        }
        packedDouble(c, d, b0, b1, MAX);
    }

    /** MAXSS xmm, xmm/m32. */
    public static void maxss(CpuState c, int d, long b) {
        long[] r = c.xmm;
        long a = r[2 * d];
        if (noDenormal32((int) a, (int) b)) {
            int v = max32((int) a, (int) b);
            if (v != SLOW32) {
                r[2 * d] = (a & ~LOW) | (v & LOW);
                return;
            }
        }
        scalarSingle(c, d, b, MAX);
    }

    /** MAXPS xmm, xmm/m128. */
    public static void maxps(CpuState c, int d, long b0, long b1) {
        long[] r = c.xmm;
        long a0 = r[2 * d], a1 = r[2 * d + 1];
        if (ordinaryLanes(a0, a1, b0, b1)) {
            int v0 = max32((int) a0, (int) b0);
            int v1 = max32((int) (a0 >>> 32), (int) (b0 >>> 32));
            int v2 = max32((int) a1, (int) b1);
            int v3 = max32((int) (a1 >>> 32), (int) (b1 >>> 32));
            if (v0 != SLOW32 && v1 != SLOW32 && v2 != SLOW32 && v3 != SLOW32) {
                r[2 * d] = pair(v0, v1);
                r[2 * d + 1] = pair(v2, v3);
                return;
            }
        }
        packedSingle(c, d, b0, b1, MAX);
    }

    private static long max64(long a, long b) {
        double x = d(a), y = d(b);
        return x == x && y == y ? (x > y ? a : b) : SLOW64;
    }

    private static int max32(int a, int b) {
        float x = f(a), y = f(b);
        return x == x && y == y ? (x > y ? a : b) : SLOW32;
    }

    // ------------------------------------------------------------------ square root

    /** sqrt on the fast path: exact-or-PE for any ordinary non-negative operand (never tiny, never overflows). */
    private static long sqrt64(long a) {
        double r = Math.sqrt(d(a));
        if (r == r && !denormal64(a)) {
            return Double.doubleToRawLongBits(r);
        }
        return SLOW64;
    }

    private static int sqrt32(int a) {
        float r = (float) Math.sqrt(f(a)); // correctly rounded: double has more than 2*24+2 bits
        if (r == r && !denormal32(a)) {
            return Float.floatToRawIntBits(r);
        }
        return SLOW32;
    }

    /** SQRTPD xmm, xmm/m128. */
    public static void sqrtpd(CpuState c, int d, long b0, long b1) {
        if (fastArith(c.mxcsr)) {
            long r0 = sqrt64(b0), r1 = sqrt64(b1);
            if (r0 != SLOW64 && r1 != SLOW64) {
                c.xmm[2 * d] = r0;
                c.xmm[2 * d + 1] = r1;
                return;
            }
        }
        sqrtSlow(c, d, Format.DOUBLE, b0, b1, true);
    }

    /** SQRTSD xmm, xmm/m64. */
    public static void sqrtsd(CpuState c, int d, long b) {
        if (fastArith(c.mxcsr)) {
            long r = sqrt64(b);
            if (r != SLOW64) {
                c.xmm[2 * d] = r;
                return;
            }
        }
        sqrtSlow(c, d, Format.DOUBLE, b, 0, false);
    }

    /** SQRTPS xmm, xmm/m128. */
    public static void sqrtps(CpuState c, int d, long b0, long b1) {
        if (fastArith(c.mxcsr)) {
            int r0 = sqrt32((int) b0), r1 = sqrt32((int) (b0 >>> 32));
            int r2 = sqrt32((int) b1), r3 = sqrt32((int) (b1 >>> 32));
            if (r0 != SLOW32 && r1 != SLOW32 && r2 != SLOW32 && r3 != SLOW32) {
                c.xmm[2 * d] = pair(r0, r1);
                c.xmm[2 * d + 1] = pair(r2, r3);
                return;
            }
        }
        sqrtSlow(c, d, Format.SINGLE, b0, b1, true);
    }

    /** SQRTSS xmm, xmm/m32. */
    public static void sqrtss(CpuState c, int d, long b) {
        if (fastArith(c.mxcsr)) {
            int r = sqrt32((int) b);
            if (r != SLOW32) {
                c.xmm[2 * d] = (c.xmm[2 * d] & ~LOW) | (r & LOW);
                return;
            }
        }
        sqrtSlow(c, d, Format.SINGLE, b, 0, false);
    }

    /** Square roots in full generality: both halves when {@code packed}, else only the low element. */
    private static void sqrtSlow(CpuState c, int d, Format f, long b0, long b1, boolean packed) {
        long[] x = c.xmm;
        int before = begin(c);
        long r0, r1;
        if (f == Format.DOUBLE) {
            r0 = SoftFloat.sqrt(c, f, b0);
            r1 = packed ? SoftFloat.sqrt(c, f, b1) : x[2 * d + 1];
        } else {
            long lo = SoftFloat.sqrt(c, f, b0 & LOW);
            long hi = packed ? SoftFloat.sqrt(c, f, b0 >>> 32) : x[2 * d] >>> 32;
            r0 = pair(lo, hi);
            r1 = packed ? pair(SoftFloat.sqrt(c, f, b1 & LOW), SoftFloat.sqrt(c, f, b1 >>> 32)) : x[2 * d + 1];
        }
        end(c, before);
        x[2 * d] = r0;
        x[2 * d + 1] = r1;
    }

    // ------------------------------------------------------------------ reciprocal approximations

    /**
     * RCPSS/RCPPS lane. The SDM only bounds the result (relative error at most 1.5 * 2^-12) and vendors' tables
     * differ, so jkvm returns the correctly rounded single reciprocal, which is within any such bound, with the
     * architectural special cases: denormal operands read as zeros (reciprocal: infinity of the same sign), tiny
     * results flush to zero, NaNs are quieted. No MXCSR control or flag is involved.
     */
    static int rcp32(int a) {
        if ((a & 0x7f80_0000) == 0) {
            return (a & 0x8000_0000) | 0x7f80_0000;
        }
        float x = f(a);
        if (x != x) {
            return a | 0x0040_0000;
        }
        float r = (float) (1.0 / x);
        return Math.abs(r) < Float.MIN_NORMAL ? Float.floatToRawIntBits(r) & 0x8000_0000 : Float.floatToRawIntBits(r);
    }

    /**
     * RSQRTSS/RSQRTPS lane, under the same rules: zeros and denormals give an infinity of their sign, negative
     * numbers the default NaN, +infinity +0.
     */
    static int rsqrt32(int a) {
        if ((a & 0x7f80_0000) == 0) {
            return (a & 0x8000_0000) | 0x7f80_0000;
        }
        float x = f(a);
        if (x != x) {
            return a | 0x0040_0000;
        }
        if (a < 0) {
            return 0xffc0_0000;
        }
        return Float.floatToRawIntBits((float) (1.0 / Math.sqrt(x)));
    }

    /** RCPPS xmm, xmm/m128. */
    public static void rcpps(CpuState c, int d, long b0, long b1) {
        c.xmm[2 * d] = pair(rcp32((int) b0), rcp32((int) (b0 >>> 32)));
        c.xmm[2 * d + 1] = pair(rcp32((int) b1), rcp32((int) (b1 >>> 32)));
    }

    /** RCPSS xmm, xmm/m32. */
    public static void rcpss(CpuState c, int d, long b) {
        c.xmm[2 * d] = (c.xmm[2 * d] & ~LOW) | (rcp32((int) b) & LOW);
    }

    /** RSQRTPS xmm, xmm/m128. */
    public static void rsqrtps(CpuState c, int d, long b0, long b1) {
        c.xmm[2 * d] = pair(rsqrt32((int) b0), rsqrt32((int) (b0 >>> 32)));
        c.xmm[2 * d + 1] = pair(rsqrt32((int) b1), rsqrt32((int) (b1 >>> 32)));
    }

    /** RSQRTSS xmm, xmm/m32. */
    public static void rsqrtss(CpuState c, int d, long b) {
        c.xmm[2 * d] = (c.xmm[2 * d] & ~LOW) | (rsqrt32((int) b) & LOW);
    }

    // ------------------------------------------------------------------ comparisons

    /** The relation of two ordinary numbers, or -1 when a NaN or denormal needs the slow path. */
    private static int relation64(long a, long b) {
        double x = d(a), y = d(b);
        if (x != x || y != y || denormal64(a) || denormal64(b)) {
            return -1;
        }
        return x < y ? SoftFloat.LESS : x > y ? SoftFloat.GREATER : SoftFloat.EQUAL;
    }

    private static int relation32(int a, int b) {
        float x = f(a), y = f(b);
        if (x != x || y != y || denormal32(a) || denormal32(b)) {
            return -1;
        }
        return x < y ? SoftFloat.LESS : x > y ? SoftFloat.GREATER : SoftFloat.EQUAL;
    }

    private static boolean holds(int predicate, int relation) {
        return (PREDICATE[predicate] >>> relation & 1) != 0;
    }

    private static int softRelation(CpuState c, Format f, long a, long b, int predicate) {
        return SoftFloat.compare(c, f, a, b, (SIGNALLING_PREDICATES >>> predicate & 1) != 0);
    }

    /** CMPPD xmm, xmm/m128, imm8 (only imm8[2:0] counts in the legacy SSE encoding). */
    public static void cmppd(CpuState c, int d, long b0, long b1, int imm) {
        int p = imm & 7;
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        int q0 = relation64(a0, b0), q1 = relation64(a1, b1);
        if (q0 < 0 || q1 < 0) {
            int before = begin(c);
            q0 = softRelation(c, Format.DOUBLE, a0, b0, p);
            q1 = softRelation(c, Format.DOUBLE, a1, b1, p);
            end(c, before);
        }
        x[2 * d] = holds(p, q0) ? -1L : 0;
        x[2 * d + 1] = holds(p, q1) ? -1L : 0;
    }

    /** CMPSD xmm, xmm/m64, imm8 (the SSE2 compare, not the string instruction). */
    public static void cmpsd(CpuState c, int d, long b, int imm) {
        int p = imm & 7;
        long[] x = c.xmm;
        long a = x[2 * d];
        int q = relation64(a, b);
        if (q < 0) {
            int before = begin(c);
            q = softRelation(c, Format.DOUBLE, a, b, p);
            end(c, before);
        }
        x[2 * d] = holds(p, q) ? -1L : 0;
    }

    /** CMPPS xmm, xmm/m128, imm8. */
    public static void cmpps(CpuState c, int d, long b0, long b1, int imm) {
        int p = imm & 7;
        long[] x = c.xmm;
        long a0 = x[2 * d], a1 = x[2 * d + 1];
        int q0 = relation32((int) a0, (int) b0);
        int q1 = relation32((int) (a0 >>> 32), (int) (b0 >>> 32));
        int q2 = relation32((int) a1, (int) b1);
        int q3 = relation32((int) (a1 >>> 32), (int) (b1 >>> 32));
        if ((q0 | q1 | q2 | q3) < 0) {
            int before = begin(c);
            q0 = softRelation(c, Format.SINGLE, a0 & LOW, b0 & LOW, p);
            q1 = softRelation(c, Format.SINGLE, a0 >>> 32, b0 >>> 32, p);
            q2 = softRelation(c, Format.SINGLE, a1 & LOW, b1 & LOW, p);
            q3 = softRelation(c, Format.SINGLE, a1 >>> 32, b1 >>> 32, p);
            end(c, before);
        }
        x[2 * d] = (holds(p, q0) ? LOW : 0) | (holds(p, q1) ? ~LOW : 0);
        x[2 * d + 1] = (holds(p, q2) ? LOW : 0) | (holds(p, q3) ? ~LOW : 0);
    }

    /** CMPSS xmm, xmm/m32, imm8. */
    public static void cmpss(CpuState c, int d, long b, int imm) {
        int p = imm & 7;
        long[] x = c.xmm;
        long a = x[2 * d];
        int q = relation32((int) a, (int) b);
        if (q < 0) {
            int before = begin(c);
            q = softRelation(c, Format.SINGLE, a & LOW, b & LOW, p);
            end(c, before);
        }
        x[2 * d] = (a & ~LOW) | (holds(p, q) ? LOW : 0);
    }

    /** ZF, PF, CF of (U)COMISx for each relation; OF, SF and AF are cleared (SDM vol. 2, COMISD). */
    private static final long[] COMI_FLAGS = {Flags.CF, Flags.ZF, 0, Flags.ZF | Flags.PF | Flags.CF};

    /**
     * COMISD/UCOMISD a, b: the arithmetic flags as RFLAGS bits, for the lazy-flags "EFLAGS" form. COMISD signals
     * IE on any NaN, UCOMISD only on an SNaN; an unmasked exception leaves RFLAGS unchanged (this throws first).
     */
    public static long comisd(CpuState c, long a, long b, boolean signalling) {
        int q = relation64(a, b);
        if (q < 0) {
            int before = begin(c);
            q = SoftFloat.compare(c, Format.DOUBLE, a, b, signalling);
            end(c, before);
        }
        return COMI_FLAGS[q];
    }

    /** COMISS/UCOMISS on the low 32 bits of {@code a} and {@code b}. */
    public static long comiss(CpuState c, long a, long b, boolean signalling) {
        int q = relation32((int) a, (int) b);
        if (q < 0) {
            int before = begin(c);
            q = SoftFloat.compare(c, Format.SINGLE, a & LOW, b & LOW, signalling);
            end(c, before);
        }
        return COMI_FLAGS[q];
    }
}
