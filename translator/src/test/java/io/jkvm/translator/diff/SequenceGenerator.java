package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.CodeSize;
import io.jkvm.translator.decoder.DecodeException;
import io.jkvm.translator.decoder.Decoder;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Rflags;
import io.jkvm.translator.jit.Emitters;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random instruction sequences of the general-purpose integer set (and, with {@link Options#sse}, SSE/SSE2) in
 * GNU as Intel syntax, with a random initial state. Every case is a pure function of (seed, index), so a failure
 * is reproduced from the two numbers alone.
 *
 * <p>A case is 1-{@link Options#maxInstructions} <em>templates</em>, each one instruction under test preceded by
 * the set-up it needs: a pointer loaded into a base register so that memory operands stay inside the scratch area
 * (or, rarely and on purpose, just outside it or at a non-canonical address), a divisor and a dividend that make
 * DIV/IDIV mostly succeed, a small count for REP, a count in CL. The generator tracks which register values it
 * knows (to reuse pointers) and which arithmetic flags are undefined ({@link FlagFlow}, over every path through
 * the forward branches it generates), and never lets an instruction read an undefined flag: it inserts a CMP,
 * which defines all six, first. Every case ends with {@code ud2}.
 */
final class SequenceGenerator {
    /**
     * What to generate.
     *
     * @param maxInstructions     instructions under test per case (1 to this many, plus their set-up)
     * @param sse                 also SSE/SSE2 templates
     * @param alignmentCheckRate  fraction of cases that start with RFLAGS.AC set (alignment checks at CPL 3)
     * @param faultingAddressRate fraction of memory operands aimed just outside the scratch area or at a
     *                            non-canonical address
     */
    record Options(int maxInstructions, boolean sse, double alignmentCheckRate, double faultingAddressRate) {
        /** The defaults; SSE templates when {@code -Djkvm.diff.sse=true}, or when unset and the JIT has SSE. */
        static Options defaults() {
            String sse = System.getProperty("jkvm.diff.sse");
            return new Options(20, sse == null ? jitHasSse() : Boolean.parseBoolean(sse), 0.03, 0.01);
        }

        /** Whether the JIT translates SSE yet (ADDPS has an emitter), i.e. whether the SSE emitters are wired. */
        static boolean jitHasSse() {
            try {
                byte[] addps = {0x0f, 0x58, (byte) 0xc1};
                Instruction i = Decoder.decode(addps, 0, addps.length, 0, CodeSize.BITS64);
                return Emitters.forInstruction(i) != null;
            } catch (DecodeException e) {
                return false;
            }
        }
    }

    static final String[] R64 = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11",
            "r12", "r13", "r14", "r15"};
    static final String[] R32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d",
            "r11d", "r12d", "r13d", "r14d", "r15d"};
    static final String[] R16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w",
            "r12w", "r13w", "r14w", "r15w"};
    static final String[] R8 = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b",
            "r12b", "r13b", "r14b", "r15b"};
    static final String[] R8HIGH = {"ah", "ch", "dh", "bh"};
    static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le",
            "g"};
    static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RSI = 6, RDI = 7;
    private static final long AC = 1L << 18;
    private static final long DF = 1L << 10;

    private final Options options;

    SequenceGenerator(Options options) {
        this.options = options;
    }

    /** The case {@code index} of the sweep with seed {@code seed}. */
    DiffCase generate(long seed, long index) {
        return new Builder(new SplittableRandom(mix(seed, index)), options).build(seed, index);
    }

    static long mix(long seed, long index) {
        long z = seed + 0x9e3779b97f4a7c15L * (index + 1);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A register operand: number 0-15 in x86 order, size in bytes, or one of AH CH DH BH ({@code high}). */
    record Reg(int num, int size, boolean high) {
        String name() {
            if (high) {
                return R8HIGH[num];
            }
            return switch (size) {
                case 1 -> R8[num];
                case 2 -> R16[num];
                case 4 -> R32[num];
                default -> R64[num];
            };
        }

        /** Needs a REX prefix to be encoded (SPL BPL SIL DIL, R8-R15). */
        boolean needsRex() {
            return num >= 8 || (size == 1 && !high && num >= 4);
        }
    }

    /** Generation state of one case. */
    private static final class Builder {
        private final SplittableRandom rnd;
        private final Options options;
        private final List<String> lines = new ArrayList<>();
        /** Known 64-bit register values (null: unknown). */
        private final Long[] known = new Long[16];
        /** Arithmetic flags that may be undefined here. */
        private int undefined;
        /** Branch targets not yet placed: template number -> pending merges. */
        private final Map<Integer, List<Pending>> pending = new HashMap<>();
        private int template;
        private int labels;
        private String labelForNextLine;
        private boolean usesSse;
        private boolean dead;

        record Pending(String label, int undefined, Long[] known) {
        }

        Builder(SplittableRandom rnd, Options options) {
            this.rnd = rnd;
            this.options = options;
        }

        DiffCase build(long seed, long index) {
            MachineState s = initialState();
            int n = 1 + rnd.nextInt(options.maxInstructions);
            for (template = 0; template < n; template++) {
                placeTargets(template);
                generateOne();
            }
            placeTargets(Integer.MAX_VALUE);
            emit("ud2", null);
            return new DiffCase(seed, index, lines, s, usesSse);
        }

        // ------------------------------------------------------------------ initial state

        private MachineState initialState() {
            MachineState s = new MachineState();
            for (int i = 0; i < 16; i++) {
                s.gpr[i] = interesting64();
            }
            // A few registers start as pointers into the scratch area, as a compiler would keep them.
            for (int k = 0; k < 4; k++) {
                int r = rnd.nextInt(16);
                if (r != RSP) {
                    s.gpr[r] = DiffLayout.SCRATCH + rnd.nextInt(DiffLayout.DATA_SIZE);
                }
            }
            s.gpr[RSP] = DiffLayout.STACK_TOP - 8L * rnd.nextInt(16);
            for (int i = 0; i < 16; i++) {
                known[i] = s.gpr[i];
            }
            long f = 0x202 | (rnd.nextLong() & Rflags.OSZAPC);
            if (rnd.nextInt(4) == 0) {
                f |= DF;
            }
            if (rnd.nextDouble() < options.alignmentCheckRate) {
                f |= AC;
            }
            s.rflags = f;
            s.mxcsr = 0x1f80;
            if (rnd.nextInt(4) == 0) {
                // Rounding mode, FTZ, DAZ.
                s.mxcsr = 0x1f80 | rnd.nextInt(4) << 13 | (rnd.nextBoolean() ? 0x8000 : 0)
                        | (rnd.nextBoolean() ? 0x40 : 0);
            }
            if (options.sse && rnd.nextInt(8) == 0) {
                s.mxcsr &= ~(1 << (7 + rnd.nextInt(6))); // one exception unmasked: #XM when it occurs
            }
            for (int i = 0; i < 32; i++) {
                s.xmm[i] = options.sse ? interestingFloatPair() : rnd.nextLong();
            }
            for (int off = 0; off < DiffLayout.SCRATCH_SIZE; off += 8) {
                long v = switch (rnd.nextInt(6)) {
                    case 0 -> rnd.nextInt(256);
                    case 1 -> interesting64();
                    case 2 -> options.sse ? interestingFloatPair() : rnd.nextLong();
                    default -> rnd.nextLong();
                };
                MachineState.putLe64(s.scratch, off, v);
            }
            return s;
        }

        private long interesting64() {
            return switch (rnd.nextInt(12)) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> -1;
                case 3 -> Long.MIN_VALUE;
                case 4 -> Long.MAX_VALUE;
                case 5 -> rnd.nextInt(256);
                case 6 -> rnd.nextLong() & 0xffffffffL;
                case 7 -> 0x80000000L | rnd.nextInt(1 << 16);
                case 8 -> (long) rnd.nextInt() << 32 | 0xffff8000L;
                case 9 -> -rnd.nextInt(256);
                default -> rnd.nextLong();
            };
        }

        private long interestingFloatPair() {
            return (interestingFloat() & 0xffffffffL) | (long) interestingFloat() << 32;
        }

        private int interestingFloat() {
            return switch (rnd.nextInt(14)) {
                case 0 -> 0;
                case 1 -> 0x80000000;
                case 2 -> Float.floatToRawIntBits(1.0f);
                case 3 -> 0x7f800000; // +inf
                case 4 -> 0xff800000; // -inf
                case 5 -> 0x7fc00000 | rnd.nextInt(1 << 22); // QNaN
                case 6 -> 0x7f800001 | rnd.nextInt(1 << 21); // SNaN
                case 7 -> rnd.nextInt(1 << 23); // denormal
                case 8 -> Float.floatToRawIntBits((float) rnd.nextInt(-1000, 1000));
                case 9 -> 0x7f7fffff;
                default -> Float.floatToRawIntBits((float) (rnd.nextGaussian() * 1e3));
            };
        }

        // ------------------------------------------------------------------ emission and tracking

        /** Appends one instruction; {@code effect} (null: touches no flag) updates the undefined-flag state. */
        private void emit(String text, FlagFlow.Effect effect) {
            String line = labelForNextLine == null ? text : labelForNextLine + ": " + text;
            labelForNextLine = null;
            lines.add(line);
            if (effect != null) {
                undefined = FlagFlow.after(effect, undefined);
            }
        }

        private static FlagFlow.Effect fx(Mnemonic m, int size) {
            return new FlagFlow.Effect(m, -1, size, FlagFlow.DYNAMIC, false);
        }

        private static FlagFlow.Effect fx(Mnemonic m, int size, long count) {
            return new FlagFlow.Effect(m, -1, size, count, false);
        }

        private void clobber(int... regs) {
            for (int r : regs) {
                known[r] = null;
            }
        }

        private void clobber(Reg r) {
            known[r.num] = null;
        }

        /** Makes sure the flags {@code reads} are defined, with a CMP (defines all six) if needed. */
        private void defineFlags(int reads) {
            if ((undefined & reads) != 0) {
                Reg a = reg(pickSize(), false, false);
                emit("cmp " + a.name() + ", " + (rnd.nextBoolean() ? partner(a, false).name() : imm(a.size, false)),
                        fx(Mnemonic.CMP, a.size));
            }
        }

        /** Places the labels of branches that target template {@code t} (or every remaining one) and merges. */
        private void placeTargets(int t) {
            List<Integer> due = new ArrayList<>();
            for (int k : pending.keySet()) {
                if (k <= t) {
                    due.add(k);
                }
            }
            if (due.isEmpty()) {
                return;
            }
            StringBuilder names = new StringBuilder();
            for (int k : due) {
                for (Pending p : pending.remove(k)) {
                    names.append(names.isEmpty() ? "" : ": LABEL_").append(p.label);
                    if (dead) {
                        undefined = p.undefined;
                        System.arraycopy(p.known, 0, known, 0, 16);
                        dead = false;
                    } else {
                        undefined |= p.undefined;
                        for (int i = 0; i < 16; i++) {
                            if (known[i] == null || !known[i].equals(p.known[i])) {
                                known[i] = null;
                            }
                        }
                    }
                }
            }
            labelForNextLine = (labelForNextLine == null ? "" : labelForNextLine + ": ") + "LABEL_" + names;
        }

        /** A forward branch target {@code skip} templates ahead (past the end: the final ud2). */
        private String target(int skip) {
            String name = "T" + labels++;
            pending.computeIfAbsent(template + 1 + skip, k -> new ArrayList<>())
                    .add(new Pending(name, undefined, known.clone()));
            return "LABEL_" + name;
        }

        // ------------------------------------------------------------------ operands

        private int pickSize() {
            return switch (rnd.nextInt(4)) {
                case 0 -> 1;
                case 1 -> 2;
                case 2 -> 4;
                default -> 8;
            };
        }

        private int pickSize248() {
            return switch (rnd.nextInt(3)) {
                case 0 -> 2;
                case 1 -> 4;
                default -> 8;
            };
        }

        /**
         * A register of {@code size}; {@code dest} excludes RSP (and SPL/SP/ESP). {@code noRex}: only registers
         * encodable without REX (for instructions with AH-BH); {@code allowHigh} lets 8-bit picks be AH-BH.
         */
        private Reg reg(int size, boolean dest, boolean noRex) {
            return reg(size, dest, noRex, size == 1 && !noRex && rnd.nextInt(5) == 0);
        }

        private Reg reg(int size, boolean dest, boolean noRex, boolean high) {
            if (high) {
                return new Reg(rnd.nextInt(4), 1, true);
            }
            while (true) {
                int n = rnd.nextInt(noRex ? 8 : 16);
                if (dest && n == RSP || (avoid >>> n & 1) != 0) {
                    continue;
                }
                if (noRex && size == 1 && n >= 4) {
                    // Without REX, 8-bit numbers 4-7 are AH CH DH BH.
                    return new Reg(n - 4, 1, true);
                }
                return new Reg(n, size, false);
            }
        }

        /** A second register operand of the same size that can be encoded together with {@code first}. */
        private Reg partner(Reg first, boolean dest) {
            if (first.high) {
                return reg(first.size, dest, true);
            }
            if (first.needsRex()) {
                return reg(first.size, dest, false, false);
            }
            return reg(first.size, dest, false);
        }

        /** Registers set-up code must not pick (they hold a value the instruction under test needs). */
        private int avoid;

        private String imm(int size, boolean allowWide) {
            long v = switch (rnd.nextInt(8)) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> -1;
                case 3 -> rnd.nextInt(-128, 128);
                case 4 -> size == 1 ? 0x7f : size == 2 ? 0x7fff : 0x7fffffff;
                case 5 -> size == 1 ? -128 : size == 2 ? -32768 : Integer.MIN_VALUE;
                default -> rnd.nextLong();
            };
            return immText(size, v, allowWide);
        }

        /** An immediate as GNU as accepts it for an operand of {@code size} (8-byte only with movabs). */
        private static String immText(int size, long v, boolean wide) {
            long x = switch (size) {
                case 1 -> (byte) v;
                case 2 -> (short) v;
                case 4 -> (int) v;
                default -> wide ? v : (int) v;
            };
            return x < 0 ? Long.toString(x) : "0x" + Long.toHexString(x);
        }

        private static String ptr(int size) {
            return switch (size) {
                case 1 -> "byte ptr ";
                case 2 -> "word ptr ";
                case 4 -> "dword ptr ";
                case 8 -> "qword ptr ";
                default -> "xmmword ptr ";
            };
        }

        /** Loads {@code value} into register {@code r} (64-bit) as set-up, unless it is known to hold it. */
        private void load(int r, long value) {
            if (known[r] != null && known[r] == value) {
                return;
            }
            if (value >= 0 && value <= 0xffffffffL && rnd.nextBoolean()) {
                emit("mov " + R32[r] + ", 0x" + Long.toHexString(value), null);
            } else {
                emit("mov " + R64[r] + ", " + immText(8, value, true), null);
            }
            known[r] = value;
        }

        /** A linear address for an access of {@code size}: inside the data page, rarely a faulting one. */
        private long address(int size) {
            double f = rnd.nextDouble();
            if (f < options.faultingAddressRate) {
                return switch (rnd.nextInt(4)) {
                    case 0 -> DiffLayout.GUARD_ABOVE - 1 - rnd.nextInt(Math.max(1, size - 1)); // crosses the end
                    case 1 -> DiffLayout.GUARD_ABOVE + rnd.nextInt(0x100);
                    case 2 -> DiffLayout.SCRATCH - 1 - rnd.nextInt(0x40);
                    default -> 0x0000_8000_0000_0000L + rnd.nextInt(0x100); // non-canonical
                };
            }
            long span = (rnd.nextInt(10) == 0 ? DiffLayout.SCRATCH_SIZE - 0x200 : DiffLayout.DATA_SIZE) - size;
            long a = DiffLayout.SCRATCH + rnd.nextLong(span);
            // Mostly aligned (legacy SSE needs 16-byte alignment for most m128 operands, #GP otherwise).
            if (rnd.nextInt(size == 16 ? 10 : 4) != 0) {
                a &= -Math.min(size, 16);
            }
            return a;
        }

        /**
         * A memory operand (with its size keyword) for an access of {@code size} at a fresh address, emitting the
         * set-up its registers need. Forms: [base], [base+disp8/32], [base+index*scale+disp], [index*scale+disp32],
         * [disp32], [rip+disp32], 32-bit address size, [rsp+disp].
         */
        private String mem(int size, boolean noRex) {
            return ptr(size) + address(size, noRex);
        }

        private String address(int size, boolean noRex) {
            long a = address(size);
            boolean canonical = a < 0x0000_8000_0000_0000L;
            int form = rnd.nextInt(canonical ? 10 : 4);
            int regs = noRex ? 8 : 16;
            switch (form) {
                case 0, 1 -> {
                    int b = baseRegister(regs, a, size);
                    long disp = known[b] != null && Math.abs(a - known[b]) < 0x800 ? a - known[b] : 0;
                    load(b, a - disp);
                    return "[" + R64[b] + disp(disp) + "]";
                }
                case 2 -> {
                    int b = baseRegister(regs, a, size);
                    long disp = rnd.nextBoolean() ? rnd.nextInt(-128, 128) : rnd.nextInt(-0x800, 0x800);
                    load(b, a - disp);
                    return "[" + R64[b] + disp(disp) + "]";
                }
                case 3 -> {
                    int b = baseRegister(regs, a, size);
                    int x = indexRegister(regs, b);
                    int scale = 1 << rnd.nextInt(4);
                    long index = rnd.nextInt(-16, 64);
                    long disp = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(-200, 200);
                    load(x, index);
                    load(b, a - index * scale - disp);
                    return "[" + R64[b] + " + " + R64[x] + "*" + scale + disp(disp) + "]";
                }
                case 4 -> {
                    int x = indexRegister(regs, -1);
                    int scale = 1 << rnd.nextInt(4);
                    long index = rnd.nextInt(0, 64);
                    load(x, index);
                    return "[" + R64[x] + "*" + scale + " + 0x" + Long.toHexString(a - index * scale) + "]";
                }
                case 5 -> {
                    return "[0x" + Long.toHexString(a) + "]";
                }
                case 6 -> {
                    return "[rip + CASE + 0x" + Long.toHexString(a - DiffLayout.CODE) + "]";
                }
                case 7 -> {
                    // 32-bit address size: only the low 32 bits of the registers count.
                    int b = baseRegister(regs, -1, size);
                    long disp = rnd.nextInt(-128, 128);
                    long junk = rnd.nextBoolean() ? (long) rnd.nextInt() << 32 : 0;
                    if (rnd.nextBoolean()) {
                        int x = indexRegister(regs, b);
                        int scale = 1 << rnd.nextInt(4);
                        long index = rnd.nextInt(0, 32);
                        load(x, index | (rnd.nextBoolean() ? (long) rnd.nextInt() << 32 : 0));
                        load(b, junk | ((a - disp - index * scale) & 0xffffffffL));
                        return "[" + R32[b] + " + " + R32[x] + "*" + scale + disp(disp) + "]";
                    }
                    load(b, junk | ((a - disp) & 0xffffffffL));
                    return "[" + R32[b] + disp(disp) + "]";
                }
                default -> {
                    // Relative to RSP when the stack pointer is known; else a plain base register.
                    if (known[RSP] != null) {
                        long sa = known[RSP] + rnd.nextInt(-0x100, 0x100) ;
                        if (rnd.nextInt(4) != 0) {
                            sa &= -Math.min(size, 8);
                        }
                        return "[rsp" + disp(sa - known[RSP]) + "]";
                    }
                    int b = baseRegister(regs, a, size);
                    load(b, a);
                    return "[" + R64[b] + "]";
                }
            }
        }

        private static String disp(long d) {
            if (d == 0) {
                return "";
            }
            return d < 0 ? " - 0x" + Long.toHexString(-d) : " + 0x" + Long.toHexString(d);
        }

        /** A base register, preferring one already holding a pointer near {@code a}. */
        private int baseRegister(int regs, long a, int size) {
            if (a >= 0 && rnd.nextInt(3) != 0) {
                for (int k = 0; k < 4; k++) {
                    int r = rnd.nextInt(regs);
                    if (r != RSP && (avoid >>> r & 1) == 0 && known[r] != null && Math.abs(known[r] - a) < 0x800) {
                        return r;
                    }
                }
            }
            int r;
            do {
                r = rnd.nextInt(regs);
            } while (r == RSP || (avoid >>> r & 1) != 0);
            return r;
        }

        private int indexRegister(int regs, int base) {
            int r;
            do {
                r = rnd.nextInt(regs);
            } while (r == RSP || r == base || (avoid >>> r & 1) != 0);
            return r;
        }

        // ------------------------------------------------------------------ templates

        private void generateOne() {
            int w = rnd.nextInt(options.sse ? 130 : 100);
            if (w >= 100) {
                sse();
                return;
            }
            if (w < 18) {
                alu();
            } else if (w < 23) {
                unary();
            } else if (w < 31) {
                shift();
            } else if (w < 34) {
                doubleShift();
            } else if (w < 39) {
                multiply();
            } else if (w < 43) {
                divide();
            } else if (w < 47) {
                lea();
            } else if (w < 53) {
                move();
            } else if (w < 56) {
                extend();
            } else if (w < 58) {
                exchange();
            } else if (w < 61) {
                compareExchange();
            } else if (w < 64) {
                bitTest();
            } else if (w < 68) {
                bitScan();
            } else if (w < 73) {
                conditional();
            } else if (w < 75) {
                signExtendAccumulator();
            } else if (w < 76) {
                bswap();
            } else if (w < 80) {
                stack();
            } else if (w < 82) {
                flagsByte();
            } else if (w < 85) {
                flagBit();
            } else if (w < 91) {
                string();
            } else {
                branch();
            }
        }

        private static final Mnemonic[] ALU = {Mnemonic.ADD, Mnemonic.OR, Mnemonic.ADC, Mnemonic.SBB, Mnemonic.AND,
                Mnemonic.SUB, Mnemonic.XOR, Mnemonic.CMP, Mnemonic.TEST};

        private void alu() {
            Mnemonic m = ALU[rnd.nextInt(ALU.length)];
            int size = pickSize();
            String name = m.name().toLowerCase();
            boolean writes = m != Mnemonic.CMP && m != Mnemonic.TEST;
            int form = rnd.nextInt(6);
            if (m == Mnemonic.TEST && form == 1) {
                form = 2; // TEST has no r, r/m form
            }
            String text;
            Reg d = null;
            switch (form) {
                case 0 -> { // r, r
                    d = reg(size, true, false);
                    text = name + " " + d.name() + ", " + partner(d, false).name();
                }
                case 1 -> { // r, m
                    d = reg(size, true, false);
                    text = name + " " + d.name() + ", " + mem(size, d.high);
                }
                case 2 -> { // m, r
                    Reg s = reg(size, false, false);
                    text = lockPrefix(writes) + name + " " + mem(size, s.high) + ", " + s.name();
                }
                case 3 -> { // r, imm
                    d = reg(size, true, false);
                    text = name + " " + d.name() + ", " + imm(size, false);
                }
                case 4 -> { // m, imm
                    text = lockPrefix(writes) + name + " " + mem(size, false) + ", " + imm(size, false);
                }
                default -> { // accumulator, imm
                    d = new Reg(RAX, size, false);
                    text = name + " " + d.name() + ", " + imm(size, false);
                }
            }
            defineFlags(m.flagsRead());
            emit(text, fx(m, size));
            if (writes && d != null) {
                clobber(d);
            }
        }

        private String lockPrefix(boolean lockable) {
            return lockable && rnd.nextInt(5) == 0 ? "lock " : "";
        }

        private void unary() {
            Mnemonic[] ms = {Mnemonic.INC, Mnemonic.DEC, Mnemonic.NEG, Mnemonic.NOT};
            Mnemonic m = ms[rnd.nextInt(ms.length)];
            int size = pickSize();
            if (rnd.nextInt(3) == 0) {
                emit(lockPrefix(true) + m.name().toLowerCase() + " " + mem(size, false),
                        m == Mnemonic.NOT ? null : fx(m, size));
            } else {
                Reg d = reg(size, true, false);
                emit(m.name().toLowerCase() + " " + d.name(), m == Mnemonic.NOT ? null : fx(m, size));
                clobber(d);
            }
        }

        private long shiftCount(int size) {
            long[] counts = {0, 1, 2, 3, size * 8L - 1, size * 8L, size * 8L + 1, 31, 32, 33, 63, 64, 0xff, 9, 17};
            return rnd.nextInt(3) == 0 ? rnd.nextInt(256) : counts[rnd.nextInt(counts.length)];
        }

        private void shift() {
            Mnemonic[] ms = {Mnemonic.ROL, Mnemonic.ROR, Mnemonic.RCL, Mnemonic.RCR, Mnemonic.SHL, Mnemonic.SHR,
                    Mnemonic.SAR, Mnemonic.SAL};
            Mnemonic m = ms[rnd.nextInt(ms.length)];
            int size = pickSize();
            int kind = rnd.nextInt(3);
            long count;
            String countText;
            if (kind == 0) {
                count = 1;
                countText = "1";
            } else if (kind == 1) {
                count = shiftCount(size);
                countText = "0x" + Long.toHexString(count);
            } else {
                if (rnd.nextInt(5) != 0) {
                    emit("mov cl, 0x" + Long.toHexString(shiftCount(size)), null);
                    clobber(RCX);
                }
                count = FlagFlow.DYNAMIC;
                countText = "cl";
            }
            String dest;
            Reg d = null;
            avoid = 1 << RCX;
            if (rnd.nextInt(3) == 0) {
                dest = mem(size, false);
            } else {
                d = reg(size, true, false);
                dest = d.name();
            }
            avoid = 0;
            defineFlags(m.flagsRead());
            emit(m.name().toLowerCase() + " " + dest + ", " + countText, fx(m, size, count));
            if (d != null) {
                clobber(d);
            }
        }

        private void doubleShift() {
            Mnemonic m = rnd.nextBoolean() ? Mnemonic.SHLD : Mnemonic.SHRD;
            int size = pickSize248();
            long count;
            String countText;
            if (rnd.nextBoolean()) {
                count = size == 2 ? rnd.nextInt(17) + (rnd.nextBoolean() ? 32 : 0) : shiftCount(size);
                countText = "0x" + Long.toHexString(count);
            } else {
                // 16-bit operands with a count above 16 leave the destination undefined: keep CL in range.
                if (size == 2 || rnd.nextInt(5) != 0) {
                    long c = size == 2 ? rnd.nextInt(17) + 32L * rnd.nextInt(8) : shiftCount(size);
                    emit("mov cl, 0x" + Long.toHexString(c), null);
                    clobber(RCX);
                    count = c;
                } else {
                    count = FlagFlow.DYNAMIC;
                }
                countText = "cl";
            }
            Reg s = reg(size, false, false);
            String dest;
            Reg d = null;
            avoid = 1 << RCX;
            if (rnd.nextInt(3) == 0) {
                dest = mem(size, false);
            } else {
                d = reg(size, true, false);
                dest = d.name();
            }
            avoid = 0;
            emit(m.name().toLowerCase() + " " + dest + ", " + s.name() + ", " + countText, fx(m, size, count));
            if (d != null) {
                clobber(d);
            }
        }

        private String rm(int size, boolean noRex) {
            return rnd.nextInt(3) == 0 ? mem(size, noRex) : reg(size, false, noRex).name();
        }

        private void multiply() {
            int kind = rnd.nextInt(4);
            if (kind <= 1) {
                Mnemonic m = kind == 0 ? Mnemonic.MUL : Mnemonic.IMUL;
                int size = pickSize();
                emit(m.name().toLowerCase() + " " + rm(size, false), fx(m, size));
                clobber(RAX, RDX);
                return;
            }
            int size = pickSize248();
            Reg d = reg(size, true, false);
            if (kind == 2) {
                emit("imul " + d.name() + ", " + rm(size, false), fx(Mnemonic.IMUL, size));
            } else {
                emit("imul " + d.name() + ", " + rm(size, false) + ", " + imm(size == 8 ? 4 : size, false),
                        fx(Mnemonic.IMUL, size));
            }
            clobber(d);
        }

        private void divide() {
            Mnemonic m = rnd.nextBoolean() ? Mnemonic.DIV : Mnemonic.IDIV;
            int size = pickSize();
            boolean tame = rnd.nextInt(5) != 0;
            String divisor;
            if (rnd.nextInt(3) == 0) {
                avoid = 1 << RAX | 1 << RDX;
                divisor = mem(size, false);
                avoid = 0;
                if (tame) {
                    emit("or " + divisor + ", 1", fx(Mnemonic.OR, size));
                }
            } else {
                Reg r;
                do {
                    r = reg(size, tame, false); // a tamed divisor is written: never RSP
                } while (tame && (r.num == RAX || r.num == RDX || r.high));
                if (tame) {
                    long v = rnd.nextInt(4) == 0 ? -1 - rnd.nextInt(1000) : 1 + rnd.nextInt(1 << (size == 1 ? 7 : 15));
                    emit("mov " + r.name() + ", " + immText(size, v, false), null);
                    clobber(r);
                } else if (r.num == RSP) {
                    r = new Reg(RBX, size, false);
                }
                divisor = r.name();
            }
            if (tame) {
                // A dividend whose high half is the sign (IDIV) or zero (DIV) of the low half cannot overflow,
                // except INT_MIN / -1.
                String prep = switch (size) {
                    case 1 -> m == Mnemonic.DIV ? "movzx ax, al" : "cbw";
                    case 2 -> m == Mnemonic.DIV ? "xor edx, edx" : "cwd";
                    case 4 -> m == Mnemonic.DIV ? "xor edx, edx" : "cdq";
                    default -> m == Mnemonic.DIV ? "xor edx, edx" : "cqo";
                };
                emit(prep, prep.startsWith("xor") ? fx(Mnemonic.XOR, 4) : null);
                clobber(RAX, RDX);
            }
            emit(m.name().toLowerCase() + " " + divisor, fx(m, size));
            clobber(RAX, RDX);
        }

        private void lea() {
            int size = pickSize248();
            Reg d = reg(size, true, false);
            StringBuilder a = new StringBuilder("[");
            boolean addr32 = rnd.nextInt(4) == 0;
            String[] names = addr32 ? R32 : R64;
            int form = rnd.nextInt(6);
            long disp = switch (rnd.nextInt(4)) {
                case 0 -> 0;
                case 1 -> rnd.nextInt(-128, 128);
                case 2 -> rnd.nextInt();
                default -> rnd.nextInt(-0x10000, 0x10000);
            };
            if (form == 5 && !addr32) {
                a.append("rip + CASE + 0x").append(Integer.toHexString(rnd.nextInt(0x7fff0000)));
            } else {
                boolean base = form != 4;
                boolean index = form >= 2;
                if (base) {
                    a.append(names[rnd.nextInt(16)]);
                }
                if (index) {
                    int x;
                    do {
                        x = rnd.nextInt(16);
                    } while (x == RSP);
                    a.append(base ? " + " : "").append(names[x]).append('*').append(1 << rnd.nextInt(4));
                }
                if (!base && !index || !base) {
                    a.append(disp < 0 ? " - " : " + ").append("0x").append(Long.toHexString(Math.abs(disp)));
                } else if (disp != 0) {
                    a.append(disp(disp));
                }
            }
            emit("lea " + d.name() + ", " + a.append(']'), null);
            clobber(d);
        }

        private void move() {
            int size = pickSize();
            int form = rnd.nextInt(7);
            Reg d;
            switch (form) {
                case 0 -> {
                    d = reg(size, true, false);
                    emit("mov " + d.name() + ", " + partner(d, false).name(), null);
                }
                case 1 -> {
                    d = reg(size, true, false);
                    emit("mov " + d.name() + ", " + mem(size, d.high), null);
                }
                case 2 -> {
                    Reg s = reg(size, false, false);
                    emit("mov " + mem(size, s.high) + ", " + s.name(), null);
                    return;
                }
                case 3 -> {
                    d = reg(size, true, false);
                    long v = interesting64();
                    emit("mov " + d.name() + ", " + immText(size, v, true), null);
                    clobber(d);
                    if (size == 8) {
                        known[d.num] = v;
                    } else if (size == 4) {
                        known[d.num] = v & 0xffffffffL;
                    }
                    return;
                }
                case 4 -> {
                    emit("mov " + mem(size, false) + ", " + imm(size, false), null);
                    return;
                }
                default -> {
                    // moffs: MOV with a 64-bit absolute address, accumulator only.
                    long a = address(size);
                    d = new Reg(RAX, size, false);
                    if (form == 5) {
                        emit("movabs " + d.name() + ", " + ptr(size) + "[0x" + Long.toHexString(a) + "]", null);
                    } else {
                        emit("movabs " + ptr(size) + "[0x" + Long.toHexString(a) + "], " + d.name(), null);
                        return;
                    }
                }
            }
            clobber(d);
        }

        private void extend() {
            int kind = rnd.nextInt(5);
            if (kind == 4) {
                Reg d = reg(8, true, false);
                emit("movsxd " + d.name() + ", " + (rnd.nextBoolean() ? mem(4, false) : reg(4, false, false).name()),
                        null);
                clobber(d);
                return;
            }
            String m = rnd.nextBoolean() ? "movzx" : "movsx";
            int from = kind < 2 ? 1 : 2;
            int to = from == 1 ? pickSize248() : (rnd.nextBoolean() ? 4 : 8);
            boolean high = from == 1 && rnd.nextInt(4) == 0;
            Reg d = reg(to, true, high);
            if (high && to == 8) {
                d = new Reg(d.num, 4, false); // AH-BH cannot go with REX.W
            }
            String src = rnd.nextInt(3) == 0 ? mem(from, high) : reg(from, false, high, high).name();
            emit(m + " " + d.name() + ", " + src, null);
            clobber(d);
        }

        private void exchange() {
            int size = pickSize();
            Reg a = reg(size, true, false);
            if (rnd.nextBoolean()) {
                Reg b = partner(a, true);
                emit("xchg " + a.name() + ", " + b.name(), null);
                clobber(b);
            } else {
                emit("xchg " + mem(size, a.high) + ", " + a.name(), null);
            }
            clobber(a);
        }

        private void compareExchange() {
            int kind = rnd.nextInt(8);
            if (kind == 0) {
                emit(lockPrefix(true) + "cmpxchg8b " + mem(8, false), fx(Mnemonic.CMPXCHG8B, 8));
                clobber(RAX, RDX);
                return;
            }
            if (kind == 1) {
                // CMPXCHG16B needs a 16-byte aligned operand (#GP otherwise): mostly aligned.
                String m = address(16, false);
                emit(lockPrefix(true) + "cmpxchg16b xmmword ptr " + m, fx(Mnemonic.CMPXCHG16B, 8));
                clobber(RAX, RDX);
                return;
            }
            Mnemonic mn = kind < 5 ? Mnemonic.CMPXCHG : Mnemonic.XADD;
            int size = pickSize();
            Reg s = reg(size, true, false);
            if (rnd.nextBoolean()) {
                emit(lockPrefix(true) + mn.name().toLowerCase() + " " + mem(size, s.high) + ", " + s.name(),
                        fx(mn, size));
            } else {
                Reg d = partner(s, true);
                emit(mn.name().toLowerCase() + " " + d.name() + ", " + s.name(), fx(mn, size));
                clobber(d);
            }
            clobber(s);
            clobber(RAX);
        }

        private void bitTest() {
            Mnemonic[] ms = {Mnemonic.BT, Mnemonic.BTS, Mnemonic.BTR, Mnemonic.BTC};
            Mnemonic m = ms[rnd.nextInt(ms.length)];
            int size = pickSize248();
            String name = m.name().toLowerCase();
            boolean memory = rnd.nextBoolean();
            if (rnd.nextBoolean()) {
                String bit = "0x" + Integer.toHexString(rnd.nextInt(256));
                if (memory) {
                    emit(lockPrefix(m != Mnemonic.BT) + name + " " + mem(size, false) + ", " + bit, fx(m, size));
                } else {
                    Reg d = reg(size, true, false);
                    emit(name + " " + d.name() + ", " + bit, fx(m, size));
                    clobber(d);
                }
                return;
            }
            if (memory) {
                // A bit string: the offset in a register reaches outside the operand, within the scratch area.
                Reg off = reg(size, true, false);
                long bit = rnd.nextInt(-512, 2048);
                emit("mov " + R64[off.num] + ", " + immText(8, bit, true), null);
                known[off.num] = bit;
                String target = ptr(size) + "[" + R64[pointerNear(off.num)] + "]";
                emit(lockPrefix(m != Mnemonic.BT) + name + " " + target + ", " + off.name(), fx(m, size));
            } else {
                Reg d = reg(size, true, false);
                emit(name + " " + d.name() + ", " + reg(size, false, false).name(), fx(m, size));
                clobber(d);
            }
        }

        /** A register (not {@code avoid}) loaded with a pointer 0x100 bytes into the data page or beyond. */
        private int pointerNear(int avoidReg) {
            int b;
            do {
                b = rnd.nextInt(16);
            } while (b == RSP || b == avoidReg);
            load(b, DiffLayout.SCRATCH + 0x100 + rnd.nextInt(0x600));
            return b;
        }

        private void bitScan() {
            Mnemonic[] ms = {Mnemonic.BSF, Mnemonic.BSR, Mnemonic.TZCNT, Mnemonic.LZCNT, Mnemonic.POPCNT};
            Mnemonic m = ms[rnd.nextInt(ms.length)];
            int size = pickSize248();
            Reg d = reg(size, true, false);
            String src;
            if (rnd.nextInt(3) == 0) {
                src = mem(size, false);
            } else {
                Reg s = reg(size, false, false);
                if (rnd.nextInt(6) == 0 && s.num != RSP) {
                    emit("mov " + R32[s.num] + ", 0", null); // zero source: ZF/CF cases of TZCNT/LZCNT
                    known[s.num] = 0L;
                }
                src = s.name();
            }
            emit(m.name().toLowerCase() + " " + d.name() + ", " + src, fx(m, size));
            clobber(d);
        }

        private void conditional() {
            int cc = rnd.nextInt(16);
            defineFlags(Rflags.readByCondition(cc));
            if (rnd.nextBoolean()) {
                String dest = rnd.nextInt(3) == 0 ? mem(1, false) : null;
                if (dest == null) {
                    Reg d = reg(1, true, false);
                    dest = d.name();
                    clobber(d);
                }
                emit("set" + CC[cc] + " " + dest, null);
            } else {
                int size = pickSize248();
                Reg d = reg(size, true, false);
                emit("cmov" + CC[cc] + " " + d.name() + ", " + rm(size, false), null);
                clobber(d);
            }
        }

        private void signExtendAccumulator() {
            String[] ms = {"cbw", "cwde", "cdqe", "cwd", "cdq", "cqo"};
            emit(ms[rnd.nextInt(ms.length)], null);
            clobber(RAX, RDX);
        }

        private void bswap() {
            Reg d = reg(rnd.nextBoolean() ? 4 : 8, true, false);
            emit("bswap " + d.name(), null);
            clobber(d);
        }

        private void stack() {
            int kind = rnd.nextInt(8);
            long delta;
            switch (kind) {
                case 0, 1 -> {
                    emit("push " + R64[rnd.nextInt(16)], null);
                    delta = -8;
                }
                case 2 -> {
                    emit("push " + R16[rnd.nextInt(16)], null);
                    delta = -2;
                }
                case 3 -> {
                    boolean wide = rnd.nextBoolean();
                    emit("push " + (wide ? "qword ptr " : "word ptr ") + address(wide ? 8 : 2, false), null);
                    delta = wide ? -8 : -2;
                }
                case 4 -> {
                    emit("push " + imm(rnd.nextBoolean() ? 1 : 4, false), null);
                    delta = -8;
                }
                case 5 -> {
                    Reg d = reg(8, true, false);
                    emit("pop " + d.name(), null);
                    clobber(d);
                    delta = 8;
                }
                case 6 -> {
                    Reg d = reg(2, true, false);
                    emit("pop " + d.name(), null);
                    clobber(d);
                    delta = 2;
                }
                default -> {
                    boolean wide = rnd.nextBoolean();
                    emit("pop " + (wide ? "qword ptr " : "word ptr ") + address(wide ? 8 : 2, false), null);
                    delta = wide ? 8 : 2;
                }
            }
            if (known[RSP] != null) {
                known[RSP] = known[RSP] + delta;
            }
        }

        private void flagsByte() {
            if (rnd.nextBoolean()) {
                defineFlags(Mnemonic.LAHF.flagsRead());
                emit("lahf", null);
                clobber(RAX);
            } else {
                emit("sahf", fx(Mnemonic.SAHF, 1));
            }
        }

        private void flagBit() {
            Mnemonic[] ms = {Mnemonic.CLC, Mnemonic.STC, Mnemonic.CMC, Mnemonic.CLD, Mnemonic.STD};
            Mnemonic m = ms[rnd.nextInt(ms.length)];
            defineFlags(m.flagsRead());
            emit(m.name().toLowerCase(), fx(m, 1));
        }

        private void string() {
            String[] ops = {"movs", "cmps", "stos", "lods", "scas"};
            String op = ops[rnd.nextInt(ops.length)];
            int size = pickSize();
            String suffix = switch (size) {
                case 1 -> "b";
                case 2 -> "w";
                case 4 -> "d";
                default -> "q";
            };
            boolean compares = op.equals("cmps") || op.equals("scas");
            String rep = switch (rnd.nextInt(4)) {
                case 0 -> "";
                case 1, 2 -> compares ? (rnd.nextBoolean() ? "repe " : "repne ") : "rep ";
                default -> compares ? "repne " : "rep ";
            };
            // With a 32-bit address size the string instruction uses ESI/EDI/ECX: the upper halves must not count.
            boolean addr32 = rnd.nextInt(4) == 0;
            long junk = addr32 && rnd.nextBoolean() ? (long) rnd.nextInt() << 32 : 0;
            if (!op.equals("stos") && !op.equals("scas")) {
                load(RSI, junk | DiffLayout.SCRATCH + 0x300 + rnd.nextInt(0xa00));
            }
            if (!op.equals("lods")) {
                load(RDI, junk | DiffLayout.SCRATCH + 0x300 + rnd.nextInt(0xa00));
            }
            // Mostly a small count; sometimes whatever RCX holds, so that the string runs into a guard page and
            // faults in the middle (with the registers of the faulting iteration).
            if (!rep.isEmpty() && rnd.nextDouble() >= options.faultingAddressRate * 5) {
                emit("mov ecx, " + rnd.nextInt(17), null);
            }
            // lods with rep is legal but pointless; plain forms use no count.
            Mnemonic m = Mnemonic.valueOf(op.toUpperCase());
            emit((addr32 ? "addr32 " : "") + rep + op + suffix,
                    new FlagFlow.Effect(m, -1, size, FlagFlow.DYNAMIC, !rep.isEmpty()));
            clobber(RSI, RDI, RCX);
            if (op.equals("lods")) {
                clobber(RAX);
            }
        }

        private void branch() {
            int kind = rnd.nextInt(10);
            if (kind < 5) {
                int cc = rnd.nextInt(16);
                defineFlags(Rflags.readByCondition(cc));
                emit("j" + CC[cc] + " " + target(rnd.nextInt(4)), null);
            } else if (kind < 7) {
                emit("jmp " + target(rnd.nextInt(3)), null);
                dead = true;
            } else if (kind < 9) {
                String[] loops = {"loop", "loope", "loopne"};
                String l = loops[rnd.nextInt(3)];
                if (!l.equals("loop")) {
                    defineFlags(Rflags.ZF);
                }
                // rel8 only: skip at most one template so the target stays in range.
                emit(l + " " + target(rnd.nextInt(2)), null);
                clobber(RCX);
            } else {
                emit((rnd.nextBoolean() ? "jrcxz " : "jecxz ") + target(rnd.nextInt(2)), null);
            }
        }

        // ------------------------------------------------------------------ SSE / SSE2

        private String xmm() {
            return "xmm" + rnd.nextInt(16);
        }

        private String xmmOrMem(int size) {
            if (rnd.nextInt(3) == 0) {
                return mem(size, false);
            }
            return xmm();
        }

        private void sse() {
            usesSse = true;
            String[] packed = {"addps", "addpd", "subps", "subpd", "mulps", "mulpd", "divps", "divpd", "minps",
                    "maxpd", "sqrtps", "sqrtpd", "andps", "andnpd", "orps", "xorpd", "unpcklps", "unpckhpd",
                    "paddb", "paddw", "paddd", "paddq", "psubb", "psubusw", "paddsw", "pmullw", "pmulhw", "pmuludq",
                    "pand", "pandn", "por", "pxor", "pcmpeqb", "pcmpeqd", "pcmpgtw", "pmaddwd", "pavgb", "psadbw",
                    "pminub", "pmaxsw", "packsswb", "packuswb", "punpcklbw", "punpckhdq", "punpcklqdq",
                    "cvtps2pd", "cvtpd2ps", "cvtdq2ps", "cvttps2dq", "cvtps2dq", "cvtdq2pd", "cvttpd2dq",
                    "movaps", "movups", "movdqa", "movdqu"};
            String[] scalar = {"addss", "addsd", "subss", "mulsd", "divss", "divsd", "sqrtss", "sqrtsd", "minss",
                    "maxsd", "cvtss2sd", "cvtsd2ss", "movss", "movsd"};
            int kind = rnd.nextInt(10);
            switch (kind) {
                case 0, 1, 2 -> {
                    String op = packed[rnd.nextInt(packed.length)];
                    // Legacy-SSE memory operands must be 16-byte aligned (#GP otherwise), except MOVUPS/MOVDQU.
                    boolean half = op.equals("cvtps2pd") || op.equals("cvtdq2pd"); // these read an m64
                    emit(op + " " + xmm() + ", " + xmmOrMem(half ? 8 : 16), null);
                }
                case 3, 4 -> {
                    String op = scalar[rnd.nextInt(scalar.length)];
                    int size = op.equals("cvtsd2ss") ? 8 : op.endsWith("ss") || op.equals("cvtss2sd") ? 4 : 8;
                    emit(op + " " + xmm() + ", " + xmmOrMem(size), null);
                }
                case 5 -> {
                    String[] cmp = {"ucomiss", "comiss", "ucomisd", "comisd"};
                    String op = cmp[rnd.nextInt(4)];
                    emit(op + " " + xmm() + ", " + xmmOrMem(op.endsWith("s") ? 4 : 8), fx(Mnemonic.COMISS, 4));
                }
                case 6 -> {
                    String[] imm8 = {"shufps", "shufpd", "cmpps", "cmpsd", "pshufd", "pshuflw", "pshufhw"};
                    String op = imm8[rnd.nextInt(imm8.length)];
                    int v = op.startsWith("cmp") ? rnd.nextInt(8) : rnd.nextInt(256);
                    emit(op + " " + xmm() + ", " + xmmOrMem(op.equals("cmpsd") ? 8 : 16) + ", " + v, null);
                }
                case 7 -> {
                    String[] shifts = {"psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad",
                            "pslldq", "psrldq"};
                    String op = shifts[rnd.nextInt(shifts.length)];
                    emit(op + " " + xmm() + ", " + rnd.nextInt(70), null);
                }
                case 8 -> {
                    Reg r = reg(rnd.nextBoolean() ? 4 : 8, true, false);
                    String[] conv = {"cvtsi2ss", "cvtsi2sd", "cvttss2si", "cvtss2si", "cvttsd2si", "cvtsd2si",
                            "movd", "movq", "pmovmskb", "movmskps", "movmskpd"};
                    String op = conv[rnd.nextInt(conv.length)];
                    if (op.startsWith("cvtsi2")) {
                        emit(op + " " + xmm() + ", " + r.name(), null);
                    } else if (op.equals("movd") || op.equals("movq")) {
                        Reg g = new Reg(r.num, op.equals("movd") ? 4 : 8, false);
                        if (rnd.nextBoolean()) {
                            emit(op + " " + xmm() + ", " + g.name(), null);
                        } else {
                            emit(op + " " + g.name() + ", " + xmm(), null);
                            clobber(g);
                        }
                    } else {
                        Reg g = op.startsWith("cvt") ? r : new Reg(r.num, 4, false);
                        emit(op + " " + g.name() + ", " + xmm(), null);
                        clobber(g);
                    }
                }
                default -> {
                    String[] stores = {"movaps", "movups", "movdqa", "movdqu", "movss", "movsd", "movlps", "movhpd"};
                    String op = stores[rnd.nextInt(stores.length)];
                    int size = op.equals("movss") ? 4 : op.equals("movsd") || op.startsWith("movl")
                            || op.startsWith("movh") ? 8 : 16;
                    if (rnd.nextInt(6) == 0) {
                        emit((rnd.nextBoolean() ? "stmxcsr " : "ldmxcsr ") + mem(4, false), null);
                    } else {
                        emit(op + " " + mem(size, false) + ", " + xmm(), null);
                    }
                }
            }
        }
    }
}
