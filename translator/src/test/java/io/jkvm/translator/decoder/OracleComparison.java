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
         * objdump folds 9B (FWAIT) into the following FNSTSW/FNSTCW/FNCLEX/FNINIT/FNSTENV/FNSAVE and prints the
         * FSTSW-style pseudo-instruction; the CPU executes two instructions. Verified: jkvm decodes FWAIT (1 byte)
         * and then objdump's no-wait form for the remaining bytes.
         */
        FWAIT_MERGED,
        /**
         * A VEX, EVEX or XOP prefix preceded by 66, F2, F3, LOCK or REX: the CPU raises #UD (SDM Vol. 2, 2.3.2),
         * objdump prints the prefixes and the instruction. Verified: without those prefixes jkvm decodes objdump's
         * instruction.
         */
        VEX_AFTER_LEGACY_PREFIX
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
        if (error != null && error.reason() == DecodeException.Reason.INVALID && first.text().contains("lock")) {
            byte[] unlocked = withoutPrefix(bytes, mode, 0xF0);
            int removed = bytes.length - unlocked.length;
            if (removed > 0) {
                ObjdumpSyntax.First shorter = new ObjdumpSyntax.First(first.length() - removed, first.mnemonic(),
                        first.operands(), first.text(), false);
                try {
                    Instruction plain = Decoder.decode(unlocked, 0, unlocked.length, 0, mode);
                    if (mismatch(unlocked, mode, shorter, plain) == null) {
                        return Explanation.LOCK_NOT_ALLOWED;
                    }
                } catch (DecodeException e) {
                    // not explained by LOCK alone
                }
            }
        }
        if (insn != null && insn.mnemonic() == Mnemonic.FWAIT && first.mnemonic().startsWith("f")) {
            try {
                int n = insn.length();
                Instruction rest = Decoder.decode(bytes, n, bytes.length - n, n, mode);
                ObjdumpSyntax.Name same = ObjdumpSyntax.name(first.mnemonic(), first.operands(), bytes, mode);
                ObjdumpSyntax.Name noWait = ObjdumpSyntax.name("fn" + first.mnemonic().substring(1),
                        first.operands(), bytes, mode);
                boolean named = same != null && rest.mnemonic() == same.mnemonic()
                        || noWait != null && rest.mnemonic() == noWait.mnemonic();
                if (rest.length() == first.length() - n && named && rest.mnemonic().is(Attribute.X87)) {
                    return Explanation.FWAIT_MERGED;
                }
            } catch (DecodeException e) {
                return null;
            }
        }
        if (error != null && error.reason() == DecodeException.Reason.INVALID
                && error.getMessage().contains("after a 66")) {
            int end = prefixEnd(bytes, mode);
            byte[] stripped = java.util.Arrays.copyOfRange(bytes, end, bytes.length);
            ObjdumpSyntax.First shorter = new ObjdumpSyntax.First(first.length() - end, first.mnemonic(),
                    first.operands(), first.text(), false);
            try {
                Instruction plain = Decoder.decode(stripped, 0, stripped.length, 0, mode);
                if (mismatch(stripped, mode, shorter, plain) == null) {
                    return Explanation.VEX_AFTER_LEGACY_PREFIX;
                }
            } catch (DecodeException e) {
                return null;
            }
        }
        return null;
    }

    /** The bytes with every copy of {@code prefix} removed from the legacy-prefix region. */
    static byte[] withoutPrefix(byte[] bytes, CodeSize mode, int prefix) {
        int end = prefixEnd(bytes, mode);
        byte[] out = new byte[bytes.length];
        int n = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (i < end && (bytes[i] & 0xFF) == prefix) {
                continue;
            }
            out[n++] = bytes[i];
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
