package io.jkvm.translator.decoder;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads objdump's Intel-syntax text: which lines make up the first instruction of a sequence, and which jkvm
 * mnemonic (and condition code) objdump's spelling corresponds to. The spelling differences live here, in the
 * test, so that the decoder keeps Intel's names.
 */
final class ObjdumpSyntax {

    /** objdump's reading of the first instruction: {@code rejected} for "(bad)" or ".byte" (truncated). */
    record First(int length, String mnemonic, String operands, String text, boolean rejected) {
    }

    /** A jkvm mnemonic with the condition code objdump's name implies (-1 if none). */
    record Name(Mnemonic mnemonic, int condition) {
    }

    private ObjdumpSyntax() {
    }

    /**
     * Words objdump prints before the mnemonic, or alone on a line when it could not attach a prefix to an
     * instruction (a REX followed by a legacy prefix, a prefix before an escape that failed).
     */
    static final Set<String> PREFIX_WORDS = Set.of("lock", "rep", "repz", "repnz", "repe", "repne", "data16",
            "data32", "addr16", "addr32", "cs", "ds", "es", "ss", "fs", "gs", "bnd", "notrack", "xacquire",
            "xrelease", "rex", "rex64");

    static boolean isPrefixWord(String w) {
        return PREFIX_WORDS.contains(w) || w.startsWith("rex.") || w.startsWith("{");
    }

    /** Joins leading prefix-only lines with the instruction they belong to, as the CPU sees it. */
    static First first(List<ObjdumpOracle.Line> lines) {
        int length = 0;
        StringBuilder text = new StringBuilder();
        for (ObjdumpOracle.Line line : lines) {
            length += line.length();
            if (!text.isEmpty()) {
                text.append(" ; ");
            }
            text.append(line.text());
            String t = stripComment(line.text());
            // "(bad)" anywhere, also as an operand ("maskmovq mm3,(bad)", "{rn-bad}"), is objdump's "invalid", and
            // so is "?" for a segment register that does not exist ("mov ?,ebp").
            if (t.contains("(bad)") || t.contains("bad}") || t.startsWith(".byte") || t.matches(".*[ ,]\\?(,.*)?$")) {
                return new First(length, "", "", text.toString(), true);
            }
            String[] words = t.split("\\s+", -1);
            int i = 0;
            while (i < words.length && isPrefixWord(words[i])) {
                i++;
            }
            if (i == words.length || words[i].isEmpty()) {
                continue; // a line of prefixes only
            }
            if (words[i].equals("(bad)")) {
                return new First(length, "", "", text.toString(), true);
            }
            String mnemonic = words[i];
            StringBuilder ops = new StringBuilder();
            for (int k = i + 1; k < words.length; k++) {
                if (!ops.isEmpty()) {
                    ops.append(' ');
                }
                ops.append(words[k]);
            }
            return new First(length, mnemonic, ops.toString().strip(), text.toString(), false);
        }
        return new First(length, "", "", text.toString(), true);
    }

    static String stripComment(String t) {
        int hash = t.indexOf(" #");
        if (hash >= 0) {
            t = t.substring(0, hash);
        }
        int angle = t.indexOf(" <");
        if (angle >= 0 && t.endsWith(">")) {
            t = t.substring(0, angle);
        }
        return t.strip();
    }

    private static final Map<String, Integer> CONDITIONS = Map.ofEntries(
            Map.entry("o", 0), Map.entry("no", 1), Map.entry("b", 2), Map.entry("c", 2), Map.entry("nae", 2),
            Map.entry("ae", 3), Map.entry("nb", 3), Map.entry("nc", 3), Map.entry("e", 4), Map.entry("z", 4),
            Map.entry("ne", 5), Map.entry("nz", 5), Map.entry("be", 6), Map.entry("na", 6), Map.entry("a", 7),
            Map.entry("nbe", 7), Map.entry("s", 8), Map.entry("ns", 9), Map.entry("p", 10), Map.entry("pe", 10),
            Map.entry("np", 11), Map.entry("po", 11), Map.entry("l", 12), Map.entry("nge", 12),
            Map.entry("ge", 13), Map.entry("nl", 13), Map.entry("le", 14), Map.entry("ng", 14),
            Map.entry("g", 15), Map.entry("nle", 15));

    private static final Map<String, Integer> FCMOV = Map.of("fcmovb", 2, "fcmove", 4, "fcmovbe", 6, "fcmovu", 10,
            "fcmovnb", 3, "fcmovne", 5, "fcmovnbe", 7, "fcmovnu", 11);

    /** objdump's names that differ from Intel's only by an operand-size suffix objdump adds. */
    private static final Pattern SIZE_SUFFIXED = Pattern.compile(
            "(retf|iret|pushf|popf|pusha|popa|fnstenv|fldenv|fnsave|frstor|sysret|sysexit|enter|leave|ret|call|xbegin"
                    + "|jmp|push|pop|lgdt|lidt|sgdt|sidt)[wdlq]");

    /** The predicate pseudo-ops objdump prints for CMPPS & co, PCLMULQDQ and XOP VPCOM. */
    private static final Pattern CMP_PSEUDO = Pattern.compile(
            "(v?cmp)(?:eq|lt|le|unord|neq|nlt|nle|ord|eq_uq|nge|ngt|false|neq_oq|ge|gt|true|eq_os|lt_oq|le_oq"
                    + "|unord_s|neq_us|nlt_uq|nle_uq|ord_s|eq_us|nge_uq|ngt_uq|false_os|neq_os|ge_oq|gt_oq|true_us)"
                    + "(ps|pd|ss|sd)");
    private static final Pattern CLMUL_PSEUDO = Pattern.compile("(v?pclmul)(?:lql|hql|lqh|hqh)qdq");
    private static final Pattern VPCOM_PSEUDO = Pattern.compile("vpcom(?:lt|le|gt|ge|eq|neq|false|true)(u?[bwdq])");

    /**
     * The jkvm name for objdump's mnemonic and operand text, or null if jkvm has no such mnemonic.
     */
    static Name name(String mnemonic, String operands, byte[] bytes, CodeSize mode) {
        String m = mnemonic.toLowerCase(Locale.ROOT);
        int comma = m.indexOf(',');
        if (comma > 0) {
            m = m.substring(0, comma); // branch hints: jne,pt
        }
        int paren = m.indexOf('(');
        if (paren > 0) {
            m = m.substring(0, paren); // fneni(8087 only)
        }
        if (m.startsWith("j") && CONDITIONS.containsKey(m.substring(1))) {
            return new Name(Mnemonic.JCC, CONDITIONS.get(m.substring(1)));
        }
        if (m.startsWith("set") && CONDITIONS.containsKey(m.substring(3))) {
            return new Name(Mnemonic.SETCC, CONDITIONS.get(m.substring(3)));
        }
        if (m.startsWith("cmov") && CONDITIONS.containsKey(m.substring(4))) {
            return new Name(Mnemonic.CMOVCC, CONDITIONS.get(m.substring(4)));
        }
        if (m.startsWith("cmp") && m.endsWith("xadd") && CONDITIONS.containsKey(m.substring(3, m.length() - 4))) {
            return new Name(Mnemonic.CMPCCXADD, CONDITIONS.get(m.substring(3, m.length() - 4)));
        }
        if (FCMOV.containsKey(m)) {
            return new Name(Mnemonic.FCMOVCC, FCMOV.get(m));
        }
        Matcher cmp = CMP_PSEUDO.matcher(m);
        if (cmp.matches()) {
            m = cmp.group(1) + cmp.group(2);
        }
        Matcher clmul = CLMUL_PSEUDO.matcher(m);
        if (clmul.matches()) {
            m = clmul.group(1) + "qdq";
        }
        Matcher vpcom = VPCOM_PSEUDO.matcher(m);
        if (vpcom.matches()) {
            m = "vpcom" + vpcom.group(1);
        }
        switch (m) {
            case "movabs": m = "mov"; break;
            case "loopz": m = "loope"; break;
            case "loopnz": m = "loopne"; break;
            case "xlatb": m = "xlat"; break;
            case "icebp": m = "int1"; break;
            default: break;
        }
        if (SIZE_SUFFIXED.matcher(m).matches()) {
            m = m.substring(0, m.length() - 1);
        }
        String ops = operands.toLowerCase(Locale.ROOT);
        if (m.equals("xchg") && isPlainNop(bytes, mode)) {
            m = "nop"; // objdump spells 66 90 "xchg ax,ax"; 90 without REX.B is NOP whatever the operand size
        }
        if ((m.equals("call") || m.equals("jmp")) && isFar(bytes, mode)) {
            m = m.equals("call") ? "callf" : "jmpf";
        }
        if (m.matches("v?pcmp[ei]str[im]q")) {
            m = m.substring(0, m.length() - 1); // REX.W/VEX.W forms: 64-bit lengths, same instruction
        }
        m = m.replace("-rng", "").replace("-", ""); // VIA PadLock: xstore-rng, xcrypt-ecb
        if (m.equals("mov") && ops.matches(".*\\bcr\\d+\\b.*")) {
            m = "mov_cr";
        } else if (m.equals("mov") && ops.matches(".*\\b(dr|db)\\d+\\b.*")) {
            m = "mov_dr";
        }
        try {
            return new Name(Mnemonic.valueOf(m.toUpperCase(Locale.ROOT)), -1);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean isPlainNop(byte[] bytes, CodeSize mode) {
        int end = OracleComparison.prefixEnd(bytes, mode);
        if (end >= bytes.length || (bytes[end] & 0xFF) != 0x90) {
            return false;
        }
        return end == 0 || mode != CodeSize.BITS64 || (bytes[end - 1] & 0xF1) != 0x41;
    }

    /** objdump spells far CALL/JMP as call/jmp: tell them apart by the opcode (9A, EA, FF /3, FF /5). */
    private static boolean isFar(byte[] bytes, CodeSize mode) {
        int end = OracleComparison.prefixEnd(bytes, mode);
        if (end >= bytes.length) {
            return false;
        }
        int op = bytes[end] & 0xFF;
        if (op == 0x9A || op == 0xEA) {
            return true;
        }
        if (op == 0xFF && end + 1 < bytes.length) {
            int reg = (bytes[end + 1] >> 3) & 7;
            return reg == 3 || reg == 5;
        }
        return false;
    }
}
