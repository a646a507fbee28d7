package io.jkvm.translator.decoder;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares jkvm's decoding of each sequence with objdump's: length, mnemonic and condition code of the first
 * instruction. Disagreements are either explained, by a named rule that re-checks its claim on the bytes (see
 * {@link Explanation}), or reported.
 */
final class OracleComparison {

    enum Verdict {
        /** objdump accepts the bytes and jkvm agrees on length and mnemonic. */
        AGREE,
        /** objdump accepts the bytes, jkvm differs, and an {@link Explanation} shows why the CPU differs too. */
        EXPLAINED,
        /** objdump accepts the bytes and jkvm differs without explanation: a decoder bug or a missing rule. */
        DISAGREE,
        /** objdump prints (bad) or .byte; jkvm rejects as well. */
        BOTH_REJECT,
        /** objdump prints (bad) or .byte but jkvm decodes an instruction. Not part of the criterion; counted. */
        ONLY_OBJDUMP_REJECTS
    }

    /**
     * Known, explained differences between objdump and the CPU. Each one is verified on the bytes, never assumed
     * from a pattern alone.
     */
    enum Explanation {
        /**
         * LOCK on an instruction that is not a read-modify-write of memory: the CPU raises #UD (SDM Vol. 2, LOCK),
         * objdump prints "lock" and the instruction. Verified: without the F0 bytes jkvm decodes objdump's
         * instruction.
         */
        LOCK_NOT_ALLOWED,
        /**
         * objdump folds 9B (FWAIT) into the following x87 instruction (printing FSTSW for 9B DF E0 and so on, and
         * applying the prefixes before 9B to it); the CPU executes FWAIT as an instruction of its own. Verified:
         * jkvm decodes FWAIT, and the remaining bytes (alone, or with the prefixes objdump moved) as objdump's
         * instruction or its no-wait FN form.
         */
        FWAIT_MERGED,
        /**
         * A VEX, EVEX or XOP prefix preceded by 66, F2, F3, LOCK or REX: the CPU raises #UD (SDM Vol. 2, 2.3.2),
         * objdump prints the prefixes and the instruction. Verified: without those prefixes jkvm decodes objdump's
         * instruction.
         */
        VEX_AFTER_LEGACY_PREFIX,
        /**
         * A REX byte followed by another prefix: objdump ends the "instruction" at that REX, prints the prefixes
         * before it on a line of their own and starts over, so it loses their effect (a 66 or 67 changes sizes).
         * The CPU only ignores the REX (SDM Vol. 2, 2.2.1) and applies the other prefixes. Verified: objdump's
         * last line is what jkvm decodes from that point, and jkvm's whole instruction has the same mnemonic.
         */
        OBJDUMP_SPLITS_AT_IGNORED_REX,
        /**
         * MOV to or from a test register (0F 24, 0F 26) existed on the 386 and 486 only; later CPUs raise #UD.
         * objdump still decodes it. Verified on the opcode bytes.
         */
        MOV_TEST_REGISTER,
        /**
         * An instruction the SDM defines for 64-bit mode only (SWAPGS, RDFSBASE ...): #UD in 16/32-bit code,
         * objdump decodes it in every mode. Verified: jkvm decodes the same bytes in 64-bit mode as objdump did.
         */
        LONG_MODE_ONLY,
        /**
         * objdump accepts a VEX/EVEX/XOP encoding with a field the instruction does not allow (VEX.pp, W, L, the
         * ModRM form) or an x87 register form that does not exist; the CPU raises #UD. Verified natively on the
         * host CPU: these bytes raise #UD, and (for VEX/EVEX/XOP) a variant differing only in W, pp, L, vvvv, the
         * ModRM form or the EVEX masking/broadcast bits, that jkvm decodes as objdump's mnemonic, runs: the #UD is
         * the field's, not a missing feature's. Never claimed without gcc on an x86-64 Linux host.
         */
        HOST_CPU_RAISES_UD,
        /**
         * A VEX/EVEX/XOP instruction without a vvvv operand whose vvvv (or EVEX.V') is not all ones: #UD (SDM
         * Vol. 2, 2.3.6 and 2.7), objdump ignores the field. Verified: with the field set to ones jkvm decodes
         * objdump's instruction, and the host CPU confirms the rule once on instructions it implements (VEX VMOVD
         * and EVEX VRCP14PS run with the canonical field and raise #UD without it).
         */
        VVVV_NOT_ALL_ONES,
        /**
         * F3 with REX.B before 90: objdump prints PAUSE, but REX.B makes 90 the register form XCHG r8,rAX, which
         * the prefix does not change. Verified: jkvm decodes XCHG with REX.B set, and the host CPU, running
         * {@code mov r8d,1; F3 49 90; div rax}, does not divide by zero, so the exchange happened.
         */
        PAUSE_WITH_REX_B,
        /**
         * MOV CS,r/m (8E /1): the CPU raises #UD (loading CS takes a far transfer), objdump prints it. Verified:
         * with ModRM.reg naming DS instead jkvm decodes objdump's length, and the host CPU raises #UD for
         * {@code 8E C8} (checked once).
         */
        MOV_TO_CS
    }

    record Outcome(byte[] bytes, ObjdumpSyntax.First objdump, Instruction jkvm, DecodeException error,
                   Verdict verdict, Explanation explanation, String detail) {
        @Override
        public String toString() {
            String mine = jkvm != null
                    ? jkvm.length() + " " + jkvm.mnemonic() + (jkvm.condition() >= 0 ? "/" + jkvm.condition() : "")
                    : error.reason() + " (" + error.getMessage() + ")";
            return HexFormat.ofDelimiter(" ").formatHex(bytes) + "\n    objdump: " + objdump.length() + " "
                    + objdump.text() + "\n    jkvm:    " + mine + (detail == null ? "" : "\n    " + detail);
        }
    }

    static final class Report {
        final CodeSize mode;
        final Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        final Map<Explanation, Integer> explained = new EnumMap<>(Explanation.class);
        final List<Outcome> disagreements = new ArrayList<>();
        final List<Outcome> onlyObjdumpRejects = new ArrayList<>();
        final Map<Explanation, List<Outcome>> explainedSamples = new EnumMap<>(Explanation.class);

        Report(CodeSize mode) {
            this.mode = mode;
            for (Verdict v : Verdict.values()) {
                counts.put(v, 0);
            }
        }

        int count(Verdict v) {
            return counts.get(v);
        }

        /** Adds another batch's results to this report. */
        void merge(Report other) {
            other.counts.forEach((k, v) -> counts.merge(k, v, Integer::sum));
            other.explained.forEach((k, v) -> explained.merge(k, v, Integer::sum));
            disagreements.addAll(other.disagreements);
            onlyObjdumpRejects.addAll(other.onlyObjdumpRejects);
            other.explainedSamples.forEach((k, v) -> explainedSamples.computeIfAbsent(k, x -> new ArrayList<>())
                    .addAll(v));
        }

        int accepted() {
            return count(Verdict.AGREE) + count(Verdict.EXPLAINED) + count(Verdict.DISAGREE);
        }

        String summary() {
            StringBuilder s = new StringBuilder();
            int total = counts.values().stream().mapToInt(Integer::intValue).sum();
            s.append(String.format("%s: %d sequences, objdump accepts %d: agree %d, explained %d %s, disagree %d;"
                            + " objdump rejects %d (jkvm also rejects %d, jkvm decodes %d)",
                    mode, total, accepted(), count(Verdict.AGREE), count(Verdict.EXPLAINED), explained,
                    count(Verdict.DISAGREE), count(Verdict.BOTH_REJECT) + count(Verdict.ONLY_OBJDUMP_REJECTS),
                    count(Verdict.BOTH_REJECT), count(Verdict.ONLY_OBJDUMP_REJECTS)));
            return s.toString();
        }

        /** Disagreements grouped by objdump's mnemonic, most frequent first, with a few examples each. */
        String disagreementDigest(int groups, int examples) {
            Map<String, List<Outcome>> byName = new TreeMap<>();
            for (Outcome o : disagreements) {
                byName.computeIfAbsent(o.objdump().mnemonic(), k -> new ArrayList<>()).add(o);
            }
            StringBuilder s = new StringBuilder();
            byName.entrySet().stream().sorted((a, b) -> b.getValue().size() - a.getValue().size()).limit(groups)
                    .forEach(e -> {
                        s.append(e.getKey()).append(" x").append(e.getValue().size()).append('\n');
                        e.getValue().stream().limit(examples).forEach(o -> s.append("  ").append(o).append('\n'));
                    });
            return s.toString();
        }
    }

    private OracleComparison() {
    }

    static Report compare(List<byte[]> sequences, CodeSize mode, List<List<ObjdumpOracle.Line>> objdump) {
        Report report = new Report(mode);
        for (int i = 0; i < sequences.size(); i++) {
            Outcome o = judge(sequences.get(i), mode, ObjdumpSyntax.first(objdump.get(i)));
            report.counts.merge(o.verdict(), 1, Integer::sum);
            switch (o.verdict()) {
                case DISAGREE -> report.disagreements.add(o);
                case ONLY_OBJDUMP_REJECTS -> report.onlyObjdumpRejects.add(o);
                case EXPLAINED -> {
                    report.explained.merge(o.explanation(), 1, Integer::sum);
                    List<Outcome> samples = report.explainedSamples.computeIfAbsent(o.explanation(),
                            k -> new ArrayList<>());
                    if (samples.size() < 5) {
                        samples.add(o);
                    }
                }
                default -> { }
            }
        }
        return report;
    }

    static Outcome judge(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first) {
        Instruction insn = null;
        DecodeException error = null;
        try {
            insn = Decoder.decode(bytes, 0, bytes.length, 0, mode);
        } catch (DecodeException e) {
            error = e;
        }
        if (first.rejected()) {
            return new Outcome(bytes, first, insn, error,
                    insn == null ? Verdict.BOTH_REJECT : Verdict.ONLY_OBJDUMP_REJECTS, null, null);
        }
        String problem = mismatch(bytes, mode, first, insn);
        if (problem == null) {
            return new Outcome(bytes, first, insn, error, Verdict.AGREE, null, null);
        }
        Explanation why = explain(bytes, mode, first, insn, error);
        if (why != null) {
            return new Outcome(bytes, first, insn, error, Verdict.EXPLAINED, why, null);
        }
        return new Outcome(bytes, first, insn, error, Verdict.DISAGREE, null, problem);
    }

    /** Null if jkvm's instruction matches objdump's on length, mnemonic and condition, else what differs. */
    static String mismatch(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first, Instruction insn) {
        ObjdumpSyntax.Name name = ObjdumpSyntax.name(first.mnemonic(), first.operands(), bytes, mode);
        if (insn == null) {
            return "jkvm rejects";
        }
        if (name == null) {
            return "no jkvm mnemonic for objdump's '" + first.mnemonic() + "'";
        }
        if (insn.length() != first.length()) {
            return "length differs";
        }
        if (insn.mnemonic() != name.mnemonic()) {
            return "mnemonic differs: objdump means " + name.mnemonic();
        }
        if (name.condition() >= 0 && insn.condition() != name.condition()) {
            return "condition differs: objdump means " + name.condition();
        }
        return null;
    }

    private static Explanation explain(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first, Instruction insn,
                                       DecodeException error) {
        return explain(bytes, mode, first, insn, error, 2);
    }

    /**
     * The first rule that accounts for the difference. Rules that undo one objdump leniency (a LOCK, a prefix
     * before VEX) accept what remains if it matches or is explained by another rule, up to {@code depth} levels.
     */
    private static Explanation explain(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first, Instruction insn,
                                       DecodeException error, int depth) {
        boolean invalid = error != null && error.reason() == DecodeException.Reason.INVALID;
        if (invalid && agreesWithout(bytes, mode, first, withoutPrefixes(bytes, mode, false, 0xF0), depth)) {
            return Explanation.LOCK_NOT_ALLOWED;
        }
        if (invalid && error.getMessage().contains("after a 66")
                && agreesWithout(bytes, mode, first, withoutPrefixes(bytes, mode, true, 0x66, 0xF2, 0xF3, 0xF0),
                depth)) {
            return Explanation.VEX_AFTER_LEGACY_PREFIX;
        }
        if (insn != null && insn.mnemonic() == Mnemonic.FWAIT && fwaitMerged(bytes, mode, first, insn, depth)) {
            return Explanation.FWAIT_MERGED;
        }
        if (first.text().contains(" ; ") && splitAtRex(bytes, mode, first, depth)) {
            return Explanation.OBJDUMP_SPLITS_AT_IGNORED_REX;
        }
        int op = prefixEnd(bytes, mode);
        if (op + 1 < bytes.length && bytes[op] == 0x0F && (bytes[op + 1] == 0x24 || bytes[op + 1] == 0x26)
                && first.mnemonic().equals("mov") && first.operands().matches(".*\\btr\\d.*")) {
            return Explanation.MOV_TEST_REGISTER;
        }
        if (mode != CodeSize.BITS64 && invalid && op < bytes.length && (bytes[op] & 0xF0) != 0x40
                && agrees(bytes, CodeSize.BITS64, first, 0)) {
            return Explanation.LONG_MODE_ONLY;
        }
        if (invalid && error.getMessage().contains("vvvv") && NativeCheck.vvvvRuleHolds()
                && agreesSameLength(bytes, mode, first, withVvvvOnes(bytes, mode), depth)) {
            return Explanation.VVVV_NOT_ALL_ONES;
        }
        if (insn != null && insn.mnemonic() == Mnemonic.XCHG && insn.has(Prefix.REP) && first.mnemonic().equals("pause")
                && insn.length() == first.length() && NativeCheck.pauseWithRexBExchanges()) {
            return Explanation.PAUSE_WITH_REX_B;
        }
        if (invalid && first.mnemonic().equals("mov") && first.operands().startsWith("cs,")
                && NativeCheck.movToCsRaisesUd()) {
            int p = prefixEnd(bytes, mode);
            if (p + 1 < bytes.length && (bytes[p] & 0xFF) == 0x8E && ((bytes[p + 1] >> 3) & 7) == 1) {
                byte[] ds = bytes.clone();
                ds[p + 1] = (byte) (ds[p + 1] ^ 0x10); // reg 1 (CS) -> 3 (DS)
                ObjdumpSyntax.First asDs = new ObjdumpSyntax.First(first.length(), "mov",
                        "ds," + first.operands().substring(3), first.text(), false);
                if (agrees(ds, mode, asDs, depth)) {
                    return Explanation.MOV_TO_CS;
                }
            }
        }
        if (invalid && NativeCheck.raisesUd(bytes, mode, first)) {
            return Explanation.HOST_CPU_RAISES_UD;
        }
        return null;
    }

    /** Whether {@code changed} (the bytes minus some prefixes) decodes as objdump's instruction, or is explained. */
    private static boolean agreesWithout(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first, byte[] changed,
                                         int depth) {
        int removed = bytes.length - changed.length;
        if (removed == 0) {
            return false;
        }
        ObjdumpSyntax.First shorter = new ObjdumpSyntax.First(first.length() - removed, first.mnemonic(),
                first.operands(), first.text(), false);
        return agrees(changed, mode, shorter, depth);
    }

    /** Whether the bytes decode as {@code expected}, or the difference is explained by another rule. */
    private static boolean agrees(byte[] bytes, CodeSize mode, ObjdumpSyntax.First expected, int depth) {
        Instruction insn = null;
        DecodeException error = null;
        try {
            insn = Decoder.decode(bytes, 0, bytes.length, 0, mode);
        } catch (DecodeException e) {
            error = e;
        }
        if (insn != null && mismatch(bytes, mode, expected, insn) == null) {
            return true;
        }
        return depth > 0 && explain(bytes, mode, expected, insn, error, depth - 1) != null;
    }

    /**
     * jkvm's FWAIT is a whole instruction; objdump folded it into what follows. The remaining bytes must decode
     * as the x87 instruction objdump named (or its no-wait FN form), or be explained themselves.
     */
    private static boolean fwaitMerged(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first, Instruction insn,
                                       int depth) {
        int n = insn.length();
        if (first.length() <= n) {
            return false;
        }
        byte[] rest = java.util.Arrays.copyOfRange(bytes, n, bytes.length);
        // objdump also moves the prefixes it saw before 9B onto the x87 instruction: try that reading too.
        byte[] carried = new byte[bytes.length - 1];
        System.arraycopy(bytes, 0, carried, 0, n - 1);
        System.arraycopy(bytes, n, carried, n - 1, bytes.length - n);
        String m = first.mnemonic();
        for (String name : new String[] {m, m.startsWith("f") ? "fn" + m.substring(1) : m}) {
            ObjdumpSyntax.First tail = new ObjdumpSyntax.First(first.length() - n, name, first.operands(),
                    first.text(), false);
            ObjdumpSyntax.First withPrefixes = new ObjdumpSyntax.First(first.length() - 1, name, first.operands(),
                    first.text(), false);
            if (agrees(rest, mode, tail, depth) || n > 1 && agrees(carried, mode, withPrefixes, depth)) {
                return true;
            }
        }
        return false;
    }

    private static boolean agreesSameLength(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first, byte[] changed,
                                            int depth) {
        return changed != null && agrees(changed, mode, first, depth);
    }

    /** The bytes with VEX/XOP vvvv (and EVEX V') set to the "unused" value, or null if not VEX-like. */
    static byte[] withVvvvOnes(byte[] bytes, CodeSize mode) {
        int p = prefixEnd(bytes, mode);
        if (p + 3 >= bytes.length) {
            return null;
        }
        byte[] v = bytes.clone();
        switch (bytes[p] & 0xFF) {
            case 0xC5 -> v[p + 1] |= 0x78;
            case 0xC4, 0x8F -> v[p + 2] |= 0x78;
            case 0x62 -> {
                v[p + 2] |= 0x78;
                v[p + 3] |= 0x08;
            }
            default -> {
                return null;
            }
        }
        return v;
    }

    private static boolean matches(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first) {
        try {
            return mismatch(bytes, mode, first, Decoder.decode(bytes, 0, bytes.length, 0, mode)) == null;
        } catch (DecodeException e) {
            return false;
        }
    }

    /**
     * objdump printed prefixes ending in a REX on a line of their own and restarted after that REX. Verified:
     * the restart point is right after a REX that another prefix follows, and objdump's last line is exactly what
     * jkvm decodes from there. The difference is then only the effect of the prefixes objdump dropped.
     */
    private static boolean splitAtRex(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first, int depth) {
        if (mode != CodeSize.BITS64) {
            return false;
        }
        String[] lines = first.text().split(" ; ");
        boolean rexLine = false;
        for (int i = 0; i < lines.length - 1; i++) {
            rexLine |= lines[i].matches("(.*\\s)?rex(\\.[WRXB]+)?$");
        }
        if (!rexLine) {
            return false;
        }
        int end = prefixEnd(bytes, mode);
        int restart = -1;
        for (int i = 0; i + 1 < end; i++) {
            if ((bytes[i] & 0xF0) == 0x40) {
                restart = i + 1;
            }
        }
        if (restart < 0) {
            return false;
        }
        // objdump's last line starts at the restart point only if the lines after the first cover the tail.
        ObjdumpSyntax.First tail = ObjdumpSyntax.first(List.of(new ObjdumpOracle.Line(0, first.length() - restart,
                lines[lines.length - 1])));
        if (tail.rejected()) {
            return false;
        }
        // objdump may have split more than once; its last line starts at one of the later restart points.
        for (int r = restart; r <= end; r++) {
            byte[] later = java.util.Arrays.copyOfRange(bytes, r, bytes.length);
            ObjdumpSyntax.First t = new ObjdumpSyntax.First(first.length() - r, tail.mnemonic(), tail.operands(),
                    tail.text(), false);
            if (agrees(later, mode, t, depth)) {
                return true;
            }
        }
        return false;
    }

    /** The bytes with the given prefixes (and REX bytes if asked) removed from the prefix region. */
    static byte[] withoutPrefixes(byte[] bytes, CodeSize mode, boolean rex, int... prefixes) {
        int end = prefixEnd(bytes, mode);
        byte[] out = new byte[bytes.length];
        int n = 0;
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xFF;
            boolean drop = false;
            if (i < end) {
                drop = rex && mode == CodeSize.BITS64 && (b & 0xF0) == 0x40;
                for (int p : prefixes) {
                    drop |= b == p;
                }
            }
            if (!drop) {
                out[n++] = bytes[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Index of the first byte after the legacy prefixes and REX bytes. */
    static int prefixEnd(byte[] bytes, CodeSize mode) {
        int i = 0;
        while (i < bytes.length) {
            int b = bytes[i] & 0xFF;
            boolean legacy = b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65
                    || b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3;
            boolean rex = mode == CodeSize.BITS64 && (b & 0xF0) == 0x40;
            if (!legacy && !rex) {
                break;
            }
            i++;
        }
        return i;
    }

    static Map<String, Integer> histogram(List<Outcome> outcomes) {
        Map<String, Integer> h = new LinkedHashMap<>();
        for (Outcome o : outcomes) {
            h.merge(o.objdump().mnemonic(), 1, Integer::sum);
        }
        return h;
    }
}
