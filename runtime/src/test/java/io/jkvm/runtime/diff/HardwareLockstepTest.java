package io.jkvm.runtime.diff;

import io.jkvm.abi.ExitReason;
import io.jkvm.runtime.Backend;
import io.jkvm.translator.decoder.CodeSize;
import io.jkvm.translator.decoder.DecodeException;
import io.jkvm.translator.decoder.Decoder;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.Prefix;
import io.jkvm.translator.decoder.Rflags;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Lockstep comparison of the JIT with the hardware backend through the public API: both single-step
 * ({@code KVM_GUESTDBG_SINGLESTEP}) through the same random instruction sequence at CPL 3, and after every
 * instruction the GPRs, RIP, RFLAGS (minus the flags the SDM leaves undefined), XMM0-15, MXCSR and the scratch
 * memory must agree; the first divergent instruction is reported with its disassembly, the state before it and
 * both states after it. A fault is delivered through the guest's IDT on both backends (see
 * {@link LockstepMachine}) and the exception frames and CR2 must agree too.
 *
 * <p>Needs {@code /dev/kvm} (skipped otherwise, with the backend's reason). On a PVM host the CPL-3 case runs
 * natively and the CPL-0 exception stubs are emulated, which is why they execute nothing but HLT.
 * {@code -Djkvm.lockstep.sequences=N} (default 300) and {@code -Djkvm.lockstep.seed=S} choose the sweep.
 *
 * <p>The translator's {@code io.jkvm.translator.diff} sweep compares whole sequences against the host CPU; this
 * test reuses none of its (test) classes, so its case generator and flag rules are deliberately small copies:
 * keep the flag rules in step with {@code io.jkvm.translator.diff.FlagFlow}.
 */
class HardwareLockstepTest {
    private static final int COMPARED_FLAGS = Rflags.OSZAPC | Rflags.DF | Rflags.AC;

    @Test
    void theJitStepsLikeTheHardwareBackend() throws Exception {
        String hw = Backend.HARDWARE.unavailableReason();
        Assumptions.assumeTrue(hw == null, () -> "skipped: the hardware backend is not available here: " + hw);
        Assumptions.assumeTrue(assemblerAvailable(), "skipped: GNU as is not installed");
        long seed = Long.decode(System.getProperty("jkvm.lockstep.seed", "0x10c5"));
        int count = Integer.getInteger("jkvm.lockstep.sequences", 300);
        Path work = Files.createDirectories(Path.of(System.getProperty("basedir", "."), "target", "lockstep"));
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            cases.add(generate(new SplittableRandom(seed * 1_000_003L + i), i));
        }
        assemble(cases, work);
        List<String> divergences = new ArrayList<>();
        for (Case c : cases) {
            // Fresh VMs per case: the JIT backend does not notice code the VMM rewrites through a slot's memory.
            try (LockstepMachine hardware = new LockstepMachine(Backend.HARDWARE);
                 LockstepMachine jit = new LockstepMachine(Backend.JIT)) {
                String d = lockstep(c, hardware, jit, work);
                if (d != null) {
                    divergences.add("seed 0x" + Long.toHexString(seed) + " case " + c.index + ": " + d);
                }
            }
        }
        assertEquals(0, divergences.size(), () -> divergences.size() + " of " + count
                + " cases diverge; the first:\n" + String.join("\n\n", divergences.subList(0,
                Math.min(3, divergences.size()))));
    }

    // ------------------------------------------------------------------ lockstep

    /** Runs {@code c} on both machines one instruction at a time; a description of the first divergence, or null. */
    static String lockstep(Case c, LockstepMachine hw, LockstepMachine jit, Path work) {
        hw.load(c.code, c.gpr, c.rflags, c.mxcsr, c.xmm, c.image);
        jit.load(c.code, c.gpr, c.rflags, c.mxcsr, c.xmm, c.image);
        LockstepMachine.State before = hw.state();
        int undefined = 0;
        for (int step = 0; step < 10_000; step++) {
            long rip = before.rip;
            Instruction insn = decode(hw.codeAt(rip), rip);
            boolean repeats = insn != null && (insn.has(Prefix.REP) || insn.has(Prefix.REPNE));
            ExitReason a = stepInstruction(hw, rip, repeats);
            ExitReason b = stepInstruction(jit, rip, repeats);
            // A fault is delivered to a stub that halts; either backend may or may not report a single-step
            // exit on the way, so run the other one to its HLT as well.
            if (a == ExitReason.HLT && b == ExitReason.DEBUG) {
                b = runToHalt(jit);
            } else if (b == ExitReason.HLT && a == ExitReason.DEBUG) {
                a = runToHalt(hw);
            }
            LockstepMachine.State x = hw.state();
            LockstepMachine.State y = jit.state();
            if (insn != null && a == ExitReason.DEBUG) {
                undefined = undefinedAfter(insn, before, undefined);
            }
            List<String> diffs = compare(x, y, undefined);
            if (a != b) {
                diffs.addFirst("exit: hardware " + a + ", jit " + b);
            }
            if (!diffs.isEmpty()) {
                return "step " + step + ", instruction at 0x" + Long.toHexString(rip) + ": "
                        + disassemble(hw.codeAt(rip), rip, work) + "\n  " + String.join("\n  ", diffs)
                        + "\nstate before:\n" + describe(before) + "hardware after:\n" + describe(x)
                        + "jit after:\n" + describe(y) + "case:\n" + c.listing;
            }
            if (a != ExitReason.DEBUG) {
                // Both halted in the same stub with the same frame (or both shut down): the case is over.
                return null;
            }
            before = x;
        }
        return "no end after 10000 steps";
    }

    /**
     * One instruction. Single-stepping a REP string instruction may stop after every iteration (the CPU's TF
     * trap does) or only at its end: iterations are stepped through until RIP leaves the instruction.
     */
    private static ExitReason stepInstruction(LockstepMachine m, long rip, boolean repeats) {
        ExitReason e = m.step();
        for (int i = 0; repeats && e == ExitReason.DEBUG && m.state().rip == rip && i < 100_000; i++) {
            e = m.step();
        }
        return e;
    }

    private static ExitReason runToHalt(LockstepMachine m) {
        ExitReason e = ExitReason.DEBUG;
        for (int i = 0; i < 8 && e == ExitReason.DEBUG; i++) {
            e = m.step();
        }
        return e;
    }

    static List<String> compare(LockstepMachine.State x, LockstepMachine.State y, int undefined) {
        List<String> d = new ArrayList<>();
        String[] names = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
                "r13", "r14", "r15"};
        if (x.rip != y.rip) {
            d.add(String.format("rip: hardware %x, jit %x", x.rip, y.rip));
        }
        for (int i = 0; i < 16; i++) {
            if (x.gpr[i] != y.gpr[i]) {
                d.add(String.format("%s: hardware %x, jit %x", names[i], x.gpr[i], y.gpr[i]));
            }
        }
        long mask = COMPARED_FLAGS & ~undefined;
        if (((x.rflags ^ y.rflags) & mask) != 0) {
            d.add(String.format("rflags: hardware %x, jit %x (compared bits %x)", x.rflags, y.rflags, mask));
        }
        if (x.mxcsr != y.mxcsr) {
            d.add(String.format("mxcsr: hardware %x, jit %x", x.mxcsr, y.mxcsr));
        }
        for (int i = 0; i < 16; i++) {
            if (!Arrays.equals(x.xmm, 16 * i, 16 * i + 16, y.xmm, 16 * i, 16 * i + 16)) {
                d.add("xmm" + i + " differs");
            }
        }
        int m = Arrays.mismatch(x.scratch, y.scratch);
        if (m >= 0) {
            d.add(String.format("memory at %x: hardware %02x, jit %02x", LockstepMachine.SCRATCH + m,
                    x.scratch[m] & 0xff, y.scratch[m] & 0xff));
        }
        // The exception frame: error code, RIP, CS, RFLAGS (masked like RFLAGS), RSP, SS.
        for (int i = 0; i < 6; i++) {
            long diff = x.frame[i] ^ y.frame[i];
            if (i == 3) {
                diff &= mask;
            }
            if (diff != 0) {
                d.add(String.format("exception frame word %d: hardware %x, jit %x", i, x.frame[i], y.frame[i]));
            }
        }
        if (x.cr2 != y.cr2) {
            d.add(String.format("cr2: hardware %x, jit %x", x.cr2, y.cr2));
        }
        return d;
    }

    /**
     * The undefined arithmetic flags after {@code insn} executed from {@code pre} (exact: the count in CL is known
     * here). A copy of the translator diff package's FlagFlow rules.
     */
    static int undefinedAfter(Instruction insn, LockstepMachine.State pre, int before) {
        Mnemonic m = insn.mnemonic();
        int written = m.flagsWritten() & Rflags.OSZAPC;
        int undefined = m.flagsUndefined() & Rflags.OSZAPC;
        int bits = insn.operandSize() * 8;
        int countMask = bits == 64 ? 0x3f : 0x1f;
        int countOperand = switch (m) {
            case SHL, SAL, SHR, SAR, ROL, ROR, RCL, RCR -> 1;
            case SHLD, SHRD -> 2;
            default -> -1;
        };
        boolean rep = insn.has(Prefix.REP) || insn.has(Prefix.REPNE);
        long counter = insn.addressSize() == 4 ? pre.gpr[1] & 0xffffffffL : pre.gpr[1];
        if ((m == Mnemonic.CMPS || m == Mnemonic.SCAS) && rep && counter == 0) {
            return before; // no iteration, no flag written
        }
        if (countOperand >= 0) {
            long count = insn.operands().size() <= countOperand ? 1
                    : insn.operand(countOperand) instanceof Operand.Imm imm ? imm.value() : pre.gpr[1];
            long c = count & countMask;
            if (c == 0) {
                return before;
            }
            switch (m) {
                case SHL, SAL, SHR, SAR -> {
                    int u = Rflags.AF | (c == 1 ? 0 : Rflags.OF) | (m != Mnemonic.SAR && c >= bits ? Rflags.CF : 0);
                    return (before & ~written) | u;
                }
                case SHLD, SHRD -> {
                    return c > bits ? Rflags.OSZAPC : (before & ~written) | Rflags.AF | (c == 1 ? 0 : Rflags.OF);
                }
                default -> {
                    boolean throughCarry = m == Mnemonic.RCL || m == Mnemonic.RCR;
                    long rotated = throughCarry && bits < 32 ? c % (bits + 1) : c;
                    int defined = (c == 1 ? Rflags.OF : 0) | (rotated != 0 || !throughCarry ? Rflags.CF : 0);
                    return (before & ~defined) | (c == 1 ? 0 : Rflags.OF);
                }
            }
        }
        return (before & ~written) | undefined;
    }

    private static Instruction decode(byte[] code, long rip) {
        try {
            return code.length == 0 ? null : Decoder.decode(code, 0, code.length, rip, CodeSize.BITS64);
        } catch (DecodeException e) {
            return null;
        }
    }

    static String describe(LockstepMachine.State s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            b.append(String.format("  r%-2d=%016x%s", i, s.gpr[i], i % 4 == 3 ? "\n" : ""));
        }
        b.append(String.format("  rip=%016x rflags=%x mxcsr=%x cr2=%x frame=%s%n", s.rip, s.rflags, s.mxcsr, s.cr2,
                Arrays.toString(Arrays.stream(s.frame).mapToObj(Long::toHexString).toArray())));
        return b.toString();
    }

    // ------------------------------------------------------------------ cases

    /** A case: Intel-syntax lines (the last one ud2), initial state, and its bytes once assembled. */
    static final class Case {
        final int index;
        final List<String> lines = new ArrayList<>();
        final long[] gpr = new long[16];
        long rflags;
        int mxcsr = 0x1f80;
        final byte[] xmm = new byte[256];
        final byte[] image = new byte[LockstepMachine.SCRATCH_SIZE];
        byte[] code;
        String listing;

        Case(int index) {
            this.index = index;
        }
    }

    private static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l",
            "ge", "le", "g"};
    /**
     * Templates: {@code R8 R16 R32 R64} a destination register (never RSP or RBX), {@code S64} any source register,
     * {@code M8 M16 M32 M64} a memory operand off RBX (which holds a scratch pointer throughout), {@code I8 I32}
     * immediates, {@code CC} a condition. Flag readers are preceded by a CMP so that no undefined flag is read.
     */
    private static final String[] TEMPLATES = {
        "add R32, S32", "adc R64, I32", "sub R16, M16", "sbb M8, R8", "and R64, M64", "or M32, I8", "xor R8, I8",
        "cmp R64, S64", "test M16, R16", "inc R8", "dec M32", "neg R64", "not M16",
        "shl R32, cl", "shr R64, I8", "sar M16, 1", "rol R8, cl", "ror M64, I8", "rcl R16, I8", "rcr R32, 1",
        "shld R32, S32, I8", "shrd M64, R64, cl", "shld R16, S16, I8",
        "mul S32", "imul M64", "imul R16, S16", "imul R64, M64, I32",
        "lea R64, [S64 + X64*4 + 0x7f]", "lea R32, [rip + 0x1234]", "lea R16, [S64 - 0x80]",
        "mov R32, M32", "mov M64, S64", "movzx R32, M8", "movsx R64, S16", "movsxd R64, S32", "mov R64, I32",
        "xchg R64, M64", "xadd M32, R32", "cmpxchg R64, S64", "bt M32, I8", "bts R64, S64", "btr M16, I8",
        "btc R32, I8", "bsf R32, S32", "bsr R64, M64", "tzcnt R32, S32", "lzcnt R64, S64", "popcnt R16, M16",
        "setCC R8", "cmovCC R64, M64", "cbw", "cwde", "cdqe", "cwd", "cdq", "cqo", "bswap R32", "bswap R64",
        "push S64", "pop R64", "push I32", "lahf", "sahf", "clc", "stc", "cmc", "cld", "std",
        "rep stosb", "rep movsq", "repe cmpsb", "lodsd", "scasw",
    };

    static Case generate(SplittableRandom rnd, int index) {
        Case c = new Case(index);
        for (int i = 0; i < 16; i++) {
            c.gpr[i] = switch (rnd.nextInt(5)) {
                case 0 -> 0;
                case 1 -> -1;
                case 2 -> rnd.nextInt(256);
                default -> rnd.nextLong();
            };
        }
        c.gpr[3] = LockstepMachine.SCRATCH + 0x400 + rnd.nextInt(0x800);
        c.gpr[4] = LockstepMachine.STACK_TOP;
        c.rflags = 0x202 | (rnd.nextLong() & Rflags.OSZAPC);
        rnd.nextBytes(c.xmm);
        rnd.nextBytes(c.image);
        int n = 1 + rnd.nextInt(20);
        for (int k = 0; k < n; k++) {
            String t = TEMPLATES[rnd.nextInt(TEMPLATES.length)];
            if (t.contains("CC") || t.startsWith("adc") || t.startsWith("sbb") || t.startsWith("rc")
                    || t.equals("cmc") || t.equals("lahf")) {
                c.lines.add("cmp " + reg(rnd, 64, false) + ", " + reg(rnd, 64, false));
            }
            if (t.startsWith("rep") || t.startsWith("lods") || t.startsWith("scas")) {
                c.lines.add("mov rsi, 0x" + Long.toHexString(LockstepMachine.SCRATCH + 0x800 + rnd.nextInt(0x200)));
                c.lines.add("mov rdi, 0x" + Long.toHexString(LockstepMachine.SCRATCH + 0x800 + rnd.nextInt(0x200)));
                c.lines.add("mov ecx, " + rnd.nextInt(9));
            }
            if (t.contains(", cl")) {
                c.lines.add("mov cl, " + rnd.nextInt(70));
            }
            if (t.startsWith("shld R16")) {
                t = t.replace("I8", Integer.toString(rnd.nextInt(17))); // above 16 the result is undefined
            }
            c.lines.add(instantiate(t, rnd));
        }
        if (rnd.nextInt(4) == 0) {
            c.lines.add("xor edx, edx");
            c.lines.add("mov ecx, " + rnd.nextInt(3)); // sometimes a zero divisor: #DE through the IDT
            c.lines.add("div ecx");
        }
        c.lines.add("ud2");
        return c;
    }

    private static String instantiate(String t, SplittableRandom rnd) {
        String s = t.replace("CC", CC[rnd.nextInt(16)]);
        for (int size : new int[]{8, 16, 32, 64}) {
            while (s.contains("R" + size)) {
                s = s.replaceFirst("R" + size, reg(rnd, size, true));
            }
            while (s.contains("S" + size)) {
                s = s.replaceFirst("S" + size, reg(rnd, size, false));
            }
            while (s.contains("X" + size)) {
                String x = reg(rnd, size, false);
                s = s.replaceFirst("X" + size, x.equals("rsp") ? "rbp" : x); // RSP cannot be an index
            }
            String ptr = switch (size) {
                case 8 -> "byte";
                case 16 -> "word";
                case 32 -> "dword";
                default -> "qword";
            };
            while (s.contains("M" + size)) {
                int disp = rnd.nextInt(-0x100, 0x100) & ~(rnd.nextBoolean() ? size / 8 - 1 : 0);
                s = s.replaceFirst("M" + size, ptr + " ptr [rbx " + (disp < 0 ? "- " : "+ ") + Math.abs(disp) + "]");
            }
        }
        while (s.contains("I8")) {
            s = s.replaceFirst("I8", Integer.toString(rnd.nextInt(256)));
        }
        while (s.contains("I32")) {
            s = s.replaceFirst("I32", Integer.toString(rnd.nextInt()));
        }
        return s;
    }

    private static String reg(SplittableRandom rnd, int size, boolean dest) {
        String[][] names = {
            {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b",
                "r15b"},
            {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w",
                "r15w"},
            {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d",
                "r14d", "r15d"},
            {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
                "r15"}};
        int row = Integer.numberOfTrailingZeros(size / 8);
        int r;
        do {
            r = rnd.nextInt(16);
        } while (dest && (r == 3 || r == 4));
        return names[row][r];
    }

    // ------------------------------------------------------------------ GNU as and objdump

    static boolean assemblerAvailable() {
        try {
            Process p = new ProcessBuilder("as", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Assembles every case (one as run, one section-relative label per case) into {@link Case#code}. */
    static void assemble(List<Case> cases, Path work) throws IOException, InterruptedException {
        StringBuilder s = new StringBuilder(".intel_syntax noprefix\n.text\n");
        for (Case c : cases) {
            s.append("k").append(c.index).append(":\n");
            for (String line : c.lines) {
                s.append("  ").append(line).append('\n');
            }
        }
        s.append("kend:\n");
        Path src = work.resolve("lockstep.s");
        Path obj = work.resolve("lockstep.o");
        Path bin = work.resolve("lockstep.bin");
        Files.writeString(src, s);
        run(List.of("as", "--64", "-o", obj.toString(), src.toString()));
        run(List.of("objcopy", "-O", "binary", "-j", ".text", obj.toString(), bin.toString()));
        byte[] text = Files.readAllBytes(bin);
        Map<String, Long> symbols = new HashMap<>();
        for (String line : run(List.of("nm", obj.toString())).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) {
                symbols.put(f[2], Long.parseUnsignedLong(f[0], 16));
            }
        }
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            long from = symbols.get("k" + c.index);
            long to = i + 1 < cases.size() ? symbols.get("k" + cases.get(i + 1).index) : symbols.get("kend");
            c.code = Arrays.copyOfRange(text, (int) from, (int) to);
            c.listing = String.join("\n", c.lines);
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }

    static String disassemble(byte[] code, long rip, Path work) {
        try {
            Path f = work.resolve("insn.bin");
            Files.write(f, code);
            String out = run(List.of("objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel",
                    "--adjust-vma=0x" + Long.toHexString(rip), f.toString()));
            for (String line : out.split("\n")) {
                if (line.trim().startsWith(Long.toHexString(rip) + ":")) {
                    return line.trim();
                }
            }
            return out;
        } catch (IOException e) {
            return "(objdump failed: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }
}
