package io.jkvm.translator.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hand-picked, language-neutral vectors of {@code decoder-vectors.txt}: lengths, mnemonics, Intel syntax and
 * the three faults. The valid ones are cross-checked against objdump as well, so the expectations themselves are
 * held to an outside oracle.
 */
class DecoderVectorsTest {
    static final long ADDRESS = 0x1000;

    record Vector(int line, CodeSize mode, byte[] bytes, boolean exact, String expected, String text) {
        @Override
        public String toString() {
            return "line " + line + ": " + HexFormat.ofDelimiter(" ").formatHex(bytes) + " (" + mode + ")";
        }
    }

    static List<Vector> vectors() throws IOException {
        List<Vector> out = new ArrayList<>();
        try (InputStream in = DecoderVectorsTest.class.getResourceAsStream("decoder-vectors.txt")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < lines.length; i++) {
                String l = lines[i].strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] f = l.split("\\|");
                CodeSize mode = switch (f[0].strip()) {
                    case "16" -> CodeSize.BITS16;
                    case "32" -> CodeSize.BITS32;
                    case "64" -> CodeSize.BITS64;
                    default -> throw new IllegalArgumentException("line " + (i + 1) + ": bad mode " + f[0]);
                };
                String hex = f[1].strip();
                boolean exact = hex.endsWith("...");
                byte[] bytes = HexFormat.of().parseHex(hex.replace("...", "").replace(" ", ""));
                out.add(new Vector(i + 1, mode, bytes, exact, f[2].strip(), f.length > 3 ? f[3].strip() : null));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void decodesAsTheVectorSays(Vector v) throws DecodeException {
        String[] e = v.expected().split("\\s+");
        switch (e[0]) {
            case "INVALID", "TOO_LONG" -> {
                DecodeException x = assertThrows(DecodeException.class,
                        () -> Decoder.decode(v.bytes(), 0, v.bytes().length, ADDRESS, v.mode()));
                assertEquals(DecodeException.Reason.valueOf(e[0]), x.reason(), x.getMessage());
            }
            case "TRUNCATED" -> {
                DecodeException x = assertThrows(DecodeException.class,
                        () -> Decoder.decode(v.bytes(), 0, v.bytes().length, ADDRESS, v.mode()));
                assertEquals(DecodeException.Reason.TRUNCATED, x.reason(), x.getMessage());
                assertEquals(Integer.parseInt(e[1]), x.needed());
            }
            default -> {
                Instruction i = Decoder.decode(v.bytes(), 0, v.bytes().length, ADDRESS, v.mode());
                assertEquals(Integer.parseInt(e[0]), i.length(), "length");
                String[] name = e[1].split("/");
                assertEquals(Mnemonic.valueOf(name[0]), i.mnemonic());
                assertEquals(name.length > 1 ? Integer.parseInt(name[1]) : -1, i.condition(), "condition");
                if (v.text() != null) {
                    assertEquals(v.text(), i.toString());
                }
                if (!v.exact()) {
                    // The same bytes followed by junk decode the same way: the length does not depend on what follows.
                    byte[] longer = java.util.Arrays.copyOf(v.bytes(), 15);
                    java.util.Arrays.fill(longer, v.bytes().length, 15, (byte) 0xCC);
                    assertEquals(i.length(), Decoder.decode(longer, 0, 15, ADDRESS, v.mode()).length());
                }
            }
        }
    }

    @TempDir
    static Path dir;

    /** The valid vectors' length and mnemonic are what objdump reads too. */
    @Test
    void validVectorsAgreeWithObjdump() throws IOException {
        assumeTrue(ObjdumpOracle.available(), "GNU objdump is not on the PATH: install binutils to cross-check"
                + " the decoder vectors");
        for (CodeSize mode : CodeSize.values()) {
            List<Vector> valid = vectors().stream().filter(v -> v.mode() == mode)
                    .filter(v -> Character.isDigit(v.expected().charAt(0))).toList();
            List<byte[]> bytes = valid.stream().map(Vector::bytes).toList();
            List<List<ObjdumpOracle.Line>> od = ObjdumpOracle.disassemble(bytes, mode, dir);
            List<String> problems = new ArrayList<>();
            for (int k = 0; k < valid.size(); k++) {
                ObjdumpSyntax.First first = ObjdumpSyntax.first(od.get(k));
                String[] e = valid.get(k).expected().split("\\s+");
                ObjdumpSyntax.Name name = ObjdumpSyntax.name(first.mnemonic(), first.operands(), valid.get(k).bytes(),
                        mode);
                String[] mine = e[1].split("/");
                boolean same = !first.rejected() && first.length() == Integer.parseInt(e[0]) && name != null
                        && name.mnemonic() == Mnemonic.valueOf(mine[0])
                        && (name.condition() < 0 || mine.length > 1 && name.condition() == Integer.parseInt(mine[1]));
                if (!same) {
                    problems.add(valid.get(k) + ": vector says " + valid.get(k).expected() + ", objdump '"
                            + first.text() + "'");
                }
            }
            assertTrue(problems.isEmpty(), String.join("\n", problems));
        }
    }
}
