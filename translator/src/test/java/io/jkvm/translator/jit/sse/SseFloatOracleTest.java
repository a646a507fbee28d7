package io.jkvm.translator.jit.sse;

import io.jkvm.translator.jit.sse.OracleHarness.Form;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.jkvm.translator.jit.sse.OracleHarness.bytes;

/**
 * SSE/SSE2 floating-point instructions against the host CPU: every arithmetic, comparison and conversion form, with
 * operands from {@link Values} (special values, denormals, near-overflow/underflow products and quotients, ties)
 * under every rounding mode, DAZ, FTZ, and sometimes unmasked exceptions (#XM with the destination unchanged).
 * Register and memory source forms both run.
 */
class SseFloatOracleTest {
    /** Vectors per form; -Djkvm.sse.vectors=N to run more. */
    static final int N = Integer.getInteger("jkvm.sse.vectors", 3000);
    static OracleHarness h;

    @BeforeAll
    static void start() throws Exception {
        var why = HostCpu.unavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> "host oracle unavailable: " + why.orElse(""));
        h = OracleHarness.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    /** The mandatory prefix of each shape: PS (none), PD (66), SS (F3), SD (F2). */
    enum Shape {
        PS(-1, false, true), PD(0x66, true, true), SS(0xf3, false, false), SD(0xf2, true, false);

        final int prefix;
        final boolean isDouble;
        final boolean packed;

        Shape(int prefix, boolean isDouble, boolean packed) {
            this.prefix = prefix;
            this.isDouble = isDouble;
            this.packed = packed;
        }

        byte[] code(int... rest) {
            byte[] r = new byte[rest.length + (prefix < 0 ? 0 : 1)];
            int k = 0;
            if (prefix >= 0) {
                r[k++] = (byte) prefix;
            }
            for (int b : rest) {
                r[k++] = (byte) b;
            }
            return r;
        }
    }

    private static DynamicTest test(Form form, int n, Consumer<HostCpu.Exec> setup, Values v) {
        return DynamicTest.dynamicTest(form.name() + " (" + n + " vectors)", () -> {
            List<HostCpu.Exec> in = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                in.add(h.input(form, v, setup));
            }
            h.compare(form, in);
        });
    }

    /** xmm0 and xmm1 (and the memory operand) hold lanes of the shape's format, xmm1 related to xmm0. */
    private static Consumer<HostCpu.Exec> fpOperands(Values v, boolean isDouble, boolean unmask) {
        return e -> {
            long[] a = isDouble ? v.doubles() : v.singles();
            long[] b = isDouble ? v.doublesRelatedTo(a) : v.singlesRelatedTo(a);
            e.xmm[0] = a[0];
            e.xmm[1] = a[1];
            e.xmm[2] = b[0];
            e.xmm[3] = b[1];
            OracleHarness.putLong(e.mem, 0, b[0]);
            OracleHarness.putLong(e.mem, 8, b[1]);
            e.mxcsr = v.mxcsr(unmask);
        };
    }

    @TestFactory
    Stream<DynamicTest> arithmetic() {
        Values v = new Values(1);
        List<DynamicTest> tests = new ArrayList<>();
        int[][] ops = {{0x58, 'A'}, {0x5c, 'S'}, {0x59, 'M'}, {0x5e, 'D'}, {0x5d, 'm'}, {0x5f, 'X'}, {0x51, 'Q'}};
        String[] names = {"ADD", "SUB", "MUL", "DIV", "MIN", "MAX", "SQRT"};
        for (int k = 0; k < ops.length; k++) {
            for (Shape s : Shape.values()) {
                String name = names[k] + s;
                tests.add(test(new Form(name + " xmm0,xmm1", s.code(0x0f, ops[k][0], 0xc1)), N,
                        fpOperands(v, s.isDouble, true), v));
                tests.add(test(new Form(name + " xmm0,[rdi]", s.code(0x0f, ops[k][0], 0x07)), N / 4,
                        fpOperands(v, s.isDouble, true), v));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> compare() {
        Values v = new Values(2);
        List<DynamicTest> tests = new ArrayList<>();
        for (Shape s : Shape.values()) {
            for (int imm = 0; imm < 8; imm++) {
                tests.add(test(new Form("CMP" + s + " xmm0,xmm1," + imm, s.code(0x0f, 0xc2, 0xc1, imm)), N / 3,
                        fpOperands(v, s.isDouble, true), v));
            }
            // Only imm8[2:0] selects the predicate in the legacy encoding.
            tests.add(test(new Form("CMP" + s + " xmm0,[rdi],0xfd", s.code(0x0f, 0xc2, 0x07, 0xfd)), N / 3,
                    fpOperands(v, s.isDouble, true), v));
        }
        for (Shape s : new Shape[]{Shape.PS, Shape.PD}) {
            String t = s == Shape.PS ? "SS" : "SD";
            tests.add(test(new Form("COMI" + t + " xmm0,xmm1", s.code(0x0f, 0x2f, 0xc1)), N,
                    fpOperands(v, s.isDouble, true), v));
            tests.add(test(new Form("UCOMI" + t + " xmm0,xmm1", s.code(0x0f, 0x2e, 0xc1)), N,
                    fpOperands(v, s.isDouble, true), v));
            tests.add(test(new Form("UCOMI" + t + " xmm0,[rdi]", s.code(0x0f, 0x2e, 0x07)), N / 4,
                    fpOperands(v, s.isDouble, true), v));
        }
        return tests.stream();
    }

    /**
     * Results within a few units in the last place of the smallest normal number, where underflow is decided: a
     * product, quotient or narrowing that rounds up to the smallest normal is tiny before rounding but not after, so
     * whether UE is raised, and what FTZ returns, depends on x86 detecting tininess after rounding. Every rounding
     * mode, with FTZ and with underflow unmasked.
     */
    @TestFactory
    Stream<DynamicTest> underflowBoundary() {
        Values v = new Values(5);
        List<DynamicTest> tests = new ArrayList<>();
        Object[][] forms = {
                {"MULSD", bytes(0xf2, 0x0f, 0x59, 0xc1), true, false},
                {"DIVSD", bytes(0xf2, 0x0f, 0x5e, 0xc1), true, true},
                {"MULSS", bytes(0xf3, 0x0f, 0x59, 0xc1), false, false},
                {"DIVPS", bytes(0x0f, 0x5e, 0xc1), false, true},
        };
        for (Object[] f : forms) {
            boolean isDouble = (Boolean) f[2];
            boolean divide = (Boolean) f[3];
            tests.add(test(new Form(f[0] + " near the smallest normal", (byte[]) f[1]), N, e -> {
                for (int half = 0; half < 2; half++) {
                    long a = 0, b = 0;
                    for (int lane = 0; lane < (isDouble ? 1 : 2); lane++) {
                        long[] ab = nearSmallestNormal(v, isDouble, divide);
                        a |= ab[0] << (32 * lane);
                        b |= ab[1] << (32 * lane);
                    }
                    e.xmm[half] = a;
                    e.xmm[2 + half] = b;
                }
                e.mxcsr = v.mxcsr(true);
            }, v));
        }
        tests.add(test(new Form("CVTSD2SS near the smallest normal", bytes(0xf2, 0x0f, 0x5a, 0xc1)), N, e -> {
            // Doubles within a few single-precision ulps below and above 2^-126.
            double x = Math.scalb(1 + (v.random.nextInt(64) - 48) * 0x1p-24 + v.random.nextInt(7) * 0x1p-40, -126);
            e.xmm[2] = Double.doubleToRawLongBits(v.random.nextBoolean() ? x : -x) + v.random.nextInt(3) - 1;
            e.mxcsr = v.mxcsr(true);
        }, v));
        return tests.stream();
    }

    /**
     * Operands whose exact product (or quotient) is the smallest normal times (1 + d) for a d of a few ulps either
     * way: a = 2^(emin+1) * (1 - e1), b = 2^-1 * (1 + e2) (b inverted for division), with random low-order bits.
     */
    private static long[] nearSmallestNormal(Values v, boolean isDouble, boolean divide) {
        int p = isDouble ? 53 : 24;
        int emin = isDouble ? -1022 : -126;
        double ulp = Math.scalb(1.0, 1 - p);
        double fa = 1 - (v.random.nextInt(8)) * ulp / 2;
        double fb = 1 + (v.random.nextInt(8)) * ulp;
        double a = Math.scalb(fa, emin + 1);
        double b = divide ? Math.scalb(1 / fb, 1) : Math.scalb(fb, -1);
        int sa = v.random.nextBoolean() ? -1 : 1;
        if (isDouble) {
            return new long[]{Double.doubleToRawLongBits(sa * a), Double.doubleToRawLongBits(b)};
        }
        return new long[]{Float.floatToRawIntBits((float) (sa * a)) & 0xffff_ffffL,
                Float.floatToRawIntBits((float) b) & 0xffff_ffffL};
    }

    /**
     * RCP and RSQRT: the SDM bounds the relative error by 1.5 * 2^-12 and leaves the exact value to the
     * implementation, so results must agree exactly only in their special cases (NaN, infinity, zero, the flush of
     * tiny reciprocals of the largest inputs, where the SDM allows either) and otherwise both the host's and jkvm's
     * must lie within the bound of the true value. Everything else must match exactly.
     */
    @TestFactory
    Stream<DynamicTest> approximations() {
        Values v = new Values(4);
        List<DynamicTest> tests = new ArrayList<>();
        Object[][] forms = {
                {"RCPPS", bytes(0x0f, 0x53, 0xc1), 4, false},
                {"RCPSS", bytes(0xf3, 0x0f, 0x53, 0xc1), 1, false},
                {"RSQRTPS", bytes(0x0f, 0x52, 0xc1), 4, true},
                {"RSQRTSS", bytes(0xf3, 0x0f, 0x52, 0xc1), 1, true},
                {"RCPPS xmm0,[rdi]", bytes(0x0f, 0x53, 0x07), 4, false},
        };
        for (Object[] f : forms) {
            Form form = new Form((String) f[0], (byte[]) f[1]);
            int lanes = (Integer) f[2];
            boolean rsqrt = (Boolean) f[3];
            tests.add(DynamicTest.dynamicTest(form.name() + " (" + N + " vectors)", () -> {
                List<HostCpu.Exec> in = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    in.add(h.input(form, v, fpOperands(v, false, false)));
                }
                h.compare(form, in, (input, host, jkvm) -> {
                    HostCpu.Exec masked = GuestCpu.copy(jkvm);
                    for (int lane = 0; lane < lanes; lane++) {
                        int src = lane32(input.xmm, 1, lane);
                        int want = lane32(host.xmm, 0, lane), got = lane32(jkvm.xmm, 0, lane);
                        if (want != got) {
                            String why = approximationDiff(src, want, got, rsqrt);
                            if (why != null) {
                                return "lane " + lane + ": " + why;
                            }
                            setLane32(masked.xmm, 0, lane, want);
                        }
                    }
                    return OracleHarness.diff(form, host, masked);
                });
            }));
        }
        return tests.stream();
    }

    private static int lane32(long[] xmm, int reg, int lane) {
        return (int) (xmm[2 * reg + lane / 2] >>> (32 * (lane & 1)));
    }

    private static void setLane32(long[] xmm, int reg, int lane, int value) {
        int i = 2 * reg + lane / 2, shift = 32 * (lane & 1);
        xmm[i] = (xmm[i] & ~(0xffff_ffffL << shift)) | ((value & 0xffff_ffffL) << shift);
    }

    /** Null when two different approximations of 1/x or 1/sqrt(x) are both within the SDM's bound. */
    private static String approximationDiff(int src, int host, int jkvm, boolean rsqrt) {
        float x = Float.intBitsToFloat(src);
        double exact = rsqrt ? 1 / Math.sqrt(x) : 1.0 / x;
        float h = Float.intBitsToFloat(host), j = Float.intBitsToFloat(jkvm);
        boolean hostOrdinary = Float.isFinite(h) && h != 0, jkvmOrdinary = Float.isFinite(j) && j != 0;
        if (!rsqrt && Math.abs(x) >= 0x1.ffap125f && (h == 0 || j == 0) && (host ^ jkvm) >= 0
                && Math.abs(exact) < 0x1p-125) {
            return null; // tiny reciprocals of the largest inputs: either flushed or not, as the SDM allows
        }
        if (!hostOrdinary || !jkvmOrdinary) {
            return String.format("special case: x=%08x host=%08x jkvm=%08x", src, host, jkvm);
        }
        double bound = 1.5 * 0x1p-12;
        if (Math.abs(h - exact) > bound * Math.abs(exact) || Math.abs(j - exact) > bound * Math.abs(exact)) {
            return String.format("outside 1.5*2^-12: x=%08x exact=%s host=%s jkvm=%s", src, exact, h, j);
        }
        return null;
    }

    @TestFactory
    Stream<DynamicTest> conversions() {
        Values v = new Values(3);
        List<DynamicTest> tests = new ArrayList<>();
        // Float to float and float to packed integer: xmm1 holds the source format.
        Object[][] fromFloat = {
                {"CVTSS2SD", bytes(0xf3, 0x0f, 0x5a, 0xc1), false},
                {"CVTSD2SS", bytes(0xf2, 0x0f, 0x5a, 0xc1), true},
                {"CVTPS2PD", bytes(0x0f, 0x5a, 0xc1), false},
                {"CVTPD2PS", bytes(0x66, 0x0f, 0x5a, 0xc1), true},
                {"CVTPS2DQ", bytes(0x66, 0x0f, 0x5b, 0xc1), false},
                {"CVTTPS2DQ", bytes(0xf3, 0x0f, 0x5b, 0xc1), false},
                {"CVTPD2DQ", bytes(0xf2, 0x0f, 0xe6, 0xc1), true},
                {"CVTTPD2DQ", bytes(0x66, 0x0f, 0xe6, 0xc1), true},
                {"CVTSS2SI eax", bytes(0xf3, 0x0f, 0x2d, 0xc1), false},
                {"CVTSS2SI rax", bytes(0xf3, 0x48, 0x0f, 0x2d, 0xc1), false},
                {"CVTTSS2SI eax", bytes(0xf3, 0x0f, 0x2c, 0xc1), false},
                {"CVTTSS2SI rax", bytes(0xf3, 0x48, 0x0f, 0x2c, 0xc1), false},
                {"CVTSD2SI eax", bytes(0xf2, 0x0f, 0x2d, 0xc1), true},
                {"CVTSD2SI rax", bytes(0xf2, 0x48, 0x0f, 0x2d, 0xc1), true},
                {"CVTTSD2SI eax", bytes(0xf2, 0x0f, 0x2c, 0xc1), true},
                {"CVTTSD2SI rax", bytes(0xf2, 0x48, 0x0f, 0x2c, 0xc1), true},
                {"CVTSD2SI rax,[rdi]", bytes(0xf2, 0x48, 0x0f, 0x2d, 0x07), true},
                {"CVTSS2SD xmm0,[rdi]", bytes(0xf3, 0x0f, 0x5a, 0x07), false},
        };
        for (Object[] c : fromFloat) {
            boolean isDouble = (Boolean) c[2];
            tests.add(test(new Form((String) c[0], (byte[]) c[1]), N, fpOperands(v, isDouble, true), v));
        }
        // Integer sources: eax/rax, m32/m64 and packed doublewords.
        Consumer<HostCpu.Exec> ints = e -> {
            long x = v.random.nextInt(3) == 0 ? v.integers() : v.random.nextLong() >> v.random.nextInt(64);
            e.gpr[0] = x;
            OracleHarness.putLong(e.mem, 0, x);
            e.xmm[2] = v.random.nextBoolean() ? v.integers() : v.random.nextLong() >> v.random.nextInt(32);
            e.xmm[3] = v.integers();
            e.mxcsr = v.mxcsr(true);
        };
        Object[][] fromInt = {
                {"CVTSI2SS xmm0,eax", bytes(0xf3, 0x0f, 0x2a, 0xc0)},
                {"CVTSI2SS xmm0,rax", bytes(0xf3, 0x48, 0x0f, 0x2a, 0xc0)},
                {"CVTSI2SD xmm0,eax", bytes(0xf2, 0x0f, 0x2a, 0xc0)},
                {"CVTSI2SD xmm0,rax", bytes(0xf2, 0x48, 0x0f, 0x2a, 0xc0)},
                {"CVTSI2SD xmm0,[rdi] (m32)", bytes(0xf2, 0x0f, 0x2a, 0x07)},
                {"CVTSI2SS xmm0,[rdi] (m64)", bytes(0xf3, 0x48, 0x0f, 0x2a, 0x07)},
                {"CVTDQ2PS", bytes(0x0f, 0x5b, 0xc1)},
                {"CVTDQ2PD", bytes(0xf3, 0x0f, 0xe6, 0xc1)},
                {"CVTDQ2PD xmm0,[rdi]", bytes(0xf3, 0x0f, 0xe6, 0x07)},
        };
        for (Object[] c : fromInt) {
            tests.add(test(new Form((String) c[0], (byte[]) c[1]), N, ints, v));
        }
        return tests.stream();
    }
}
