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
 * The SSE2 integer instructions, shuffles, unpacks, packs, bitwise logic and sign-mask extraction against the host
 * CPU, on random lanes mixed with the saturation and sign boundaries of bytes, words and doublewords.
 */
class SseIntegerOracleTest {
    static final int N = Integer.getInteger("jkvm.sse.vectors", 3000) / 6;
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

    private static DynamicTest test(Form form, int n, Consumer<HostCpu.Exec> setup, Values v) {
        return DynamicTest.dynamicTest(form.name() + " (" + n + " vectors)", () -> {
            List<HostCpu.Exec> in = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                in.add(h.input(form, v, setup));
            }
            h.compare(form, in);
        });
    }

    private static Consumer<HostCpu.Exec> lanes(Values v) {
        return e -> {
            for (int i = 0; i < 4; i++) {
                e.xmm[i] = v.integers();
            }
            OracleHarness.putLong(e.mem, 0, e.xmm[2]);
            OracleHarness.putLong(e.mem, 8, e.xmm[3]);
            e.mxcsr = v.mxcsr(false);
        };
    }

    /** 66 0F op with ModRM xmm0, xmm1 and xmm0, [rdi]. */
    private static final Object[][] BINARY = {
            {"PUNPCKLBW", 0x60}, {"PUNPCKLWD", 0x61}, {"PUNPCKLDQ", 0x62}, {"PACKSSWB", 0x63}, {"PCMPGTB", 0x64},
            {"PCMPGTW", 0x65}, {"PCMPGTD", 0x66}, {"PACKUSWB", 0x67}, {"PUNPCKHBW", 0x68}, {"PUNPCKHWD", 0x69},
            {"PUNPCKHDQ", 0x6a}, {"PACKSSDW", 0x6b}, {"PUNPCKLQDQ", 0x6c}, {"PUNPCKHQDQ", 0x6d}, {"PCMPEQB", 0x74},
            {"PCMPEQW", 0x75}, {"PCMPEQD", 0x76}, {"PSRLW", 0xd1}, {"PSRLD", 0xd2}, {"PSRLQ", 0xd3}, {"PADDQ", 0xd4},
            {"PMULLW", 0xd5}, {"PSUBUSB", 0xd8}, {"PSUBUSW", 0xd9}, {"PMINUB", 0xda}, {"PAND", 0xdb},
            {"PADDUSB", 0xdc}, {"PADDUSW", 0xdd}, {"PMAXUB", 0xde}, {"PANDN", 0xdf}, {"PAVGB", 0xe0},
            {"PSRAW", 0xe1}, {"PSRAD", 0xe2}, {"PAVGW", 0xe3}, {"PMULHUW", 0xe4}, {"PMULHW", 0xe5},
            {"PSUBSB", 0xe8}, {"PSUBSW", 0xe9}, {"PMINSW", 0xea}, {"POR", 0xeb}, {"PADDSB", 0xec},
            {"PADDSW", 0xed}, {"PMAXSW", 0xee}, {"PXOR", 0xef}, {"PSLLW", 0xf1}, {"PSLLD", 0xf2}, {"PSLLQ", 0xf3},
            {"PMULUDQ", 0xf4}, {"PMADDWD", 0xf5}, {"PSADBW", 0xf6}, {"PSUBB", 0xf8}, {"PSUBW", 0xf9},
            {"PSUBD", 0xfa}, {"PSUBQ", 0xfb}, {"PADDB", 0xfc}, {"PADDW", 0xfd}, {"PADDD", 0xfe},
            {"UNPCKLPD", 0x14}, {"UNPCKHPD", 0x15}, {"ANDPD", 0x54}, {"ANDNPD", 0x55}, {"ORPD", 0x56},
            {"XORPD", 0x57}};

    @TestFactory
    Stream<DynamicTest> binary() {
        Values v = new Values(11);
        List<DynamicTest> tests = new ArrayList<>();
        for (Object[] b : BINARY) {
            int op = (Integer) b[1];
            boolean shift = ((String) b[0]).matches("PS(LL|RL|RA)[WDQ]");
            Consumer<HostCpu.Exec> setup = lanes(v);
            if (shift) {
                // Counts: mostly within and around the lane width, sometimes huge (any set bit above 63 clears).
                setup = setup.andThen(e -> {
                    long count = switch (v.random.nextInt(4)) {
                        case 0 -> v.random.nextLong();
                        case 1 -> 1L << (32 + v.random.nextInt(31));
                        default -> v.random.nextInt(70);
                    };
                    e.xmm[2] = count;
                    OracleHarness.putLong(e.mem, 0, count);
                });
            }
            tests.add(test(new Form(b[0] + " xmm0,xmm1", bytes(0x66, 0x0f, op, 0xc1)), N, setup, v));
            tests.add(test(new Form(b[0] + " xmm0,[rdi]", bytes(0x66, 0x0f, op, 0x07)), N / 4, setup, v));
        }
        // The NP forms of the PS logic and unpacks.
        for (int op : new int[]{0x14, 0x15, 0x54, 0x55, 0x56, 0x57}) {
            tests.add(test(new Form("NP 0F " + Integer.toHexString(op) + " xmm0,xmm1", bytes(0x0f, op, 0xc1)), N,
                    lanes(v), v));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> immediates() {
        Values v = new Values(12);
        List<DynamicTest> tests = new ArrayList<>();
        int[] imms = {0, 1, 0x1b, 0x4e, 0xb1, 0xe4, 0xff, 0x39};
        for (int imm : imms) {
            tests.add(test(new Form("PSHUFD 0x" + Integer.toHexString(imm), bytes(0x66, 0x0f, 0x70, 0xc1, imm)), N / 4,
                    lanes(v), v));
            tests.add(test(new Form("PSHUFLW 0x" + Integer.toHexString(imm), bytes(0xf2, 0x0f, 0x70, 0xc1, imm)),
                    N / 4, lanes(v), v));
            tests.add(test(new Form("PSHUFHW 0x" + Integer.toHexString(imm), bytes(0xf3, 0x0f, 0x70, 0xc1, imm)),
                    N / 4, lanes(v), v));
            tests.add(test(new Form("SHUFPS 0x" + Integer.toHexString(imm), bytes(0x0f, 0xc6, 0xc1, imm)), N / 4,
                    lanes(v), v));
            tests.add(test(new Form("SHUFPD 0x" + Integer.toHexString(imm), bytes(0x66, 0x0f, 0xc6, 0xc1, imm)),
                    N / 4, lanes(v), v));
            tests.add(test(new Form("PEXTRW eax,xmm1,0x" + Integer.toHexString(imm),
                    bytes(0x66, 0x0f, 0xc5, 0xc1, imm)), N / 4, lanes(v), v));
            tests.add(test(new Form("PINSRW xmm0,eax,0x" + Integer.toHexString(imm),
                    bytes(0x66, 0x0f, 0xc4, 0xc0, imm)), N / 4, lanes(v), v));
        }
        tests.add(test(new Form("PINSRW xmm0,[rdi],5", bytes(0x66, 0x0f, 0xc4, 0x07, 5)), N / 4, lanes(v), v));
        tests.add(test(new Form("PSHUFD xmm0,[rdi],0x1b", bytes(0x66, 0x0f, 0x70, 0x07, 0x1b)), N / 4, lanes(v), v));
        // Shifts by immediate: group 12/13/14, register in ModRM.rm, operation in ModRM.reg.
        int[][] groups = {{0x71, 2}, {0x71, 4}, {0x71, 6}, {0x72, 2}, {0x72, 4}, {0x72, 6}, {0x73, 2}, {0x73, 3},
                {0x73, 6}, {0x73, 7}};
        int[] counts = {0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 63, 64, 0x80, 0xff};
        for (int[] gr : groups) {
            for (int count : counts) {
                int modrm = 0xc0 | gr[1] << 3;
                tests.add(test(new Form("66 0F " + Integer.toHexString(gr[0]) + " /" + gr[1] + " xmm0," + count,
                        bytes(0x66, 0x0f, gr[0], modrm, count)), N / 8, lanes(v), v));
            }
        }
        tests.add(test(new Form("PMOVMSKB eax,xmm1", bytes(0x66, 0x0f, 0xd7, 0xc1)), N, lanes(v), v));
        tests.add(test(new Form("MOVMSKPS eax,xmm1", bytes(0x0f, 0x50, 0xc1)), N, lanes(v), v));
        tests.add(test(new Form("MOVMSKPD eax,xmm1", bytes(0x66, 0x0f, 0x50, 0xc1)), N, lanes(v), v));
        tests.add(test(new Form("PMOVMSKB r9d,xmm9 (REX)", bytes(0x66, 0x45, 0x0f, 0xd7, 0xc9)), N, lanes(v), v));
        return tests.stream();
    }
}
