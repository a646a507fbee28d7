package io.jkvm.translator.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The RFLAGS masks on {@link Mnemonic} against the host CPU. Each general-purpose (and SSE compare) instruction
 * the JIT executes runs natively in a sandbox ({@link NativeCpu}) from two opposite flag states and many operand
 * values; then:
 * <ul>
 * <li>every status flag (and DF) that changed must be in {@link Mnemonic#flagsWritten()};
 * <li>an instruction that reads no status flag must leave the defined written ones (written minus undefined)
 *     the same whatever the flags were before;
 * <li>the CPU ran exactly as many bytes as jkvm's decoded length.
 * </ul>
 * Operands that make the instruction fault (a #DE from DIV) are skipped; shift and rotate counts stay in 1-31
 * because a count of 0 leaves the flags alone.
 */
class NativeFlagsTest {

    private static final int STATUS = Rflags.OSZAPC | Rflags.DF;
    private static final int BASE = 0x202;            // IF and the always-one bit
    private static final int ALL_SET = BASE | Rflags.OSZAPC;

    @BeforeAll
    static void needsHostCpu() {
        assumeTrue(NativeCpu.get() != null, "the host-CPU oracle needs x86-64 Linux with gcc");
    }

    /** Instructions under test, register forms over eax/ecx/edx (ecx also the count), 32- and 64-bit. */
    static Stream<String> instructions() {
        return Stream.of(
                "01c8", "09c8", "11c8", "19c8", "21c8", "29c8", "31c8", "39c8", "85c8", "4801c8", "4829c8",
                "4811c8", "4819c8", "00c8", "6601c8", "83c0ff", "480d01000080", "a901000000",
                "ffc0", "ffc8", "48ffc0", "f7d8", "f7d0", "48f7d8", "fec0",
                "d3e0", "d3e8", "d3f8", "d3c0", "d3c8", "d3d0", "d3d8", "d1e0", "d1e8", "d1f8", "d1c0", "d1d0",
                "c1e005", "c1f81f", "48d3e0", "48d3f8", "48c1c807", "d2e0", "66d3e0",
                "0fa5c8", "0fadc8", "0fa4c803", "0facc81d", "480fa5c8",
                "f7e1", "f7e9", "0fafc1", "6bc107", "69c1ffffff7f", "48f7e1", "48f7e9", "480fafc1", "f6e1", "f6e9",
                "f7f1", "f7f9", "48f7f1",
                "0fa3c8", "0fabc8", "0fb3c8", "0fbbc8", "0fbae005", "0fbaf81f", "480fabc8",
                "0fbcc1", "0fbdc1", "f30fbcc1", "f30fbdc1", "f30fb8c1", "480fbdc1", "f3480fbcc1",
                "0fc1c8", "0fb1c8", "480fb1c8", "0fc70c24",
                "0fb6c1", "0fbfc1", "480fbec1", "4863c1", "8d0408", "87c8", "89c8", "0fc8", "480fc8",
                "0f44c1", "0f4fc1", "0f94c0", "0f9cc0", "0f97c0",
                "f8", "f9", "f5", "fc", "fd", "9f", "9e", "6698", "98", "4898", "6699", "99", "4899", "90", "f390",
                "660f6ec0660f6ec90f2ec1", "660f6ec0660f6ec90f2fc1", "660f6ec0660f6ec9660f2ec1",
                "660f6ec0660f6ec9660f2fc1");
    }

    @ParameterizedTest
    @MethodSource("instructions")
    void flagMasksMatchTheHostCpu(String hex) throws DecodeException {
        byte[] code = HexFormat.of().parseHex(hex);
        // The last instruction of the snippet is the one under test (SSE compares first load xmm0/xmm1).
        int start = 0;
        Instruction last = Decoder.decode(code, 0, code.length, 0, CodeSize.BITS64);
        while (start + last.length() < code.length) {
            start += last.length();
            last = Decoder.decode(code, start, code.length - start, start, CodeSize.BITS64);
        }
        Instruction insn = last;
        assertEquals(code.length, start + insn.length(), "jkvm's lengths do not add up to the snippet");
        Mnemonic m = insn.mnemonic();
        assertTrue(!m.is(Attribute.DECODE_ONLY), m + " is not one the JIT executes");

        boolean countInCl = insn.operands().stream().anyMatch(o -> o instanceof Operand.Reg r
                && r.regClass() == RegClass.GPR && r.number() == 1 && r.size() == 1);
        SplittableRandom random = new SplittableRandom(hex.hashCode());
        List<byte[]> programs = new ArrayList<>();
        List<int[]> inputs = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int eax = pick(random, i);
            int ecx = m == Mnemonic.DIV || m == Mnemonic.IDIV ? pick(random, i + 1) | 1 : pick(random, i + 7);
            if (countInCl) {
                ecx = 1 + random.nextInt(31);
            }
            int edx = m == Mnemonic.DIV || m == Mnemonic.IDIV ? 0 : random.nextInt();
            if (m == Mnemonic.IDIV) {
                eax &= 0x7FFFFFFF;
            }
            for (int flags : new int[] {BASE, ALL_SET}) {
                programs.add(program(flags, eax, ecx, edx, code));
                inputs.add(new int[] {flags, eax, ecx, edx});
            }
        }
        List<NativeCpu.Result> results = NativeCpu.get().execute(programs);
        int ran = 0;
        for (int i = 0; i < results.size(); i += 2) {
            NativeCpu.Result a = results.get(i);
            NativeCpu.Result b = results.get(i + 1);
            if (a.outcome() != NativeCpu.Outcome.RAN || b.outcome() != NativeCpu.Outcome.RAN) {
                continue;
            }
            ran++;
            int prologue = programs.get(i).length - code.length;
            assertEquals(prologue + code.length, a.length(), "the CPU ran a different number of bytes than jkvm"
                    + " decoded for " + insn);
            int[] in = inputs.get(i);
            long changed = ((BASE ^ a.rflags()) | (ALL_SET ^ b.rflags())) & STATUS;
            assertEquals(0, changed & ~m.flagsWritten(), () -> String.format(
                    "%s changed flags %s outside flagsWritten %s (eax=%08x ecx=%08x)", insn, names(changed),
                    names(m.flagsWritten()), in[1], in[2]));
            if ((m.flagsRead() & Rflags.OSZAPC) == 0) {
                long defined = m.flagsWritten() & ~m.flagsUndefined() & Rflags.OSZAPC;
                long dependent = (a.rflags() ^ b.rflags()) & defined;
                assertEquals(0, dependent, () -> String.format("%s claims to read no flags, but %s depend on the"
                        + " flags before it (eax=%08x ecx=%08x)", insn, names(dependent), in[1], in[2]));
            }
        }
        assertTrue(ran >= 12, "too few runs completed for " + insn + ": " + ran);
    }

    private static int pick(SplittableRandom r, int i) {
        int[] edges = {0, 1, -1, 0x80000000, 0x7FFFFFFF, 0xFF, 0x80, 0x100};
        return i < edges.length ? edges[i] : r.nextInt();
    }

    /** push flags; popfq; mov eax/ecx/edx, imm32; then the code (ending at the probe's int3). */
    private static byte[] program(int flags, int eax, int ecx, int edx, byte[] code) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x68);
        le32(p, flags);
        p.write(0x9D);
        p.write(0xB8);
        le32(p, eax);
        p.write(0xB9);
        le32(p, ecx);
        p.write(0xBA);
        le32(p, edx);
        p.writeBytes(code);
        return p.toByteArray();
    }

    private static void le32(ByteArrayOutputStream p, int v) {
        for (int i = 0; i < 4; i++) {
            p.write(v >>> (8 * i));
        }
    }

    private static String names(long mask) {
        StringBuilder s = new StringBuilder();
        String[] n = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "", "", "DF", "OF"};
        for (int i = 0; i < n.length; i++) {
            if ((mask & (1L << i)) != 0 && !n[i].isEmpty()) {
                s.append(n[i]).append(' ');
            }
        }
        return s.toString().strip();
    }
}
