package io.jkvm.translator.decoder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The opcode maps, loaded once from the {@code *.opcodes} resources (written in the SDM's notation, see
 * {@code legacy.opcodes} for the syntax) into arrays indexed by opcode byte.
 */
final class OpcodeTables {

    /** All rows that share one opcode byte of one map, most specific first. */
    static final class Slot {
        final List<Form> building = new ArrayList<>();
        Form[] forms = new Form[0];
        boolean modrm;
    }

    static final int MAP_0F = 1, MAP_0F38 = 2, MAP_0F3A = 3;

    /** Legacy maps: one-byte, 0F, 0F 38, 0F 3A. */
    static final Slot[][] LEGACY = new Slot[4][256];
    /** VEX maps 1-3 (0F, 0F38, 0F3A), index 0 unused. */
    static final Slot[][] VEX = new Slot[4][256];
    /** XOP maps 8, 9, 0A at indexes 0-2. */
    static final Slot[][] XOP = new Slot[3][256];
    /** EVEX maps 1-7 (index = mmm). */
    static final Slot[][] EVEX = new Slot[8][256];
    /** 3DNow!: 0F 0F ModRM ... suffix, indexed by the suffix byte. */
    static final Form[] AMD3DNOW = new Form[256];

    static final String[] RESOURCES = {"legacy.opcodes", "x87.opcodes", "vex.opcodes", "xop.opcodes",
            "evex.opcodes", "3dnow.opcodes"};

    static {
        for (Slot[][] space : new Slot[][][] {LEGACY, VEX, XOP, EVEX}) {
            for (Slot[] map : space) {
                for (int i = 0; i < 256; i++) {
                    map[i] = new Slot();
                }
            }
        }
        TableParser parser = new TableParser();
        for (String name : RESOURCES) {
            try (InputStream in = OpcodeTables.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("decoder table resource " + name + " is missing from the jar");
                }
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                String line;
                int n = 0;
                while ((line = r.readLine()) != null) {
                    n++;
                    try {
                        parser.parse(line);
                    } catch (RuntimeException e) {
                        throw new IllegalStateException(name + ":" + n + ": " + e.getMessage() + " in: " + line, e);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (Slot[][] space : new Slot[][][] {LEGACY, VEX, XOP, EVEX}) {
            for (Slot[] map : space) {
                for (Slot s : map) {
                    finish(s);
                }
            }
        }
    }

    private static void finish(Slot s) {
        // Stable sort: among equally specific rows the table order decides.
        s.building.sort(Comparator.comparingInt(Form::specificity).reversed());
        s.forms = s.building.toArray(new Form[0]);
        for (Form f : s.forms) {
            if (f.usesModrm() != s.forms[0].usesModrm()) {
                throw new IllegalStateException("rows of one opcode disagree on ModRM: " + f + " / " + s.forms[0]);
            }
        }
        s.modrm = s.forms.length > 0 && s.forms[0].usesModrm();
        s.building.clear();
    }

    static Slot slot(Cursor.Encoding encoding, int map, int opcode) {
        return switch (encoding) {
            case LEGACY -> LEGACY[map][opcode];
            case VEX -> VEX[map][opcode];
            case XOP -> XOP[map - 8][opcode];
            case EVEX -> EVEX[map][opcode];
        };
    }

    /**
     * Picks the row for the decoded prefixes and ModRM. The mandatory-prefix column is the last F2/F3 if any,
     * else 66, else none; rows with that explicit column win, rows without a column match whatever the prefixes
     * (which then keep their legacy meaning), and an opcode defined only for other columns is invalid.
     */
    static Form select(Slot slot, Cursor c) {
        int column;
        if (c.encoding == Cursor.Encoding.LEGACY) {
            column = c.lastRep == 0xF3 ? Form.PF3 : c.lastRep == 0xF2 ? Form.PF2 : c.has66 ? Form.P66 : Form.NP;
        } else {
            column = c.vexPP == 0 ? Form.NP : c.vexPP == 1 ? Form.P66 : c.vexPP == 2 ? Form.PF3 : Form.PF2;
        }
        for (Form f : slot.forms) {
            if ((f.prefix == column || f.prefix == Form.NFX && c.lastRep == 0) && f.matches(c)) {
                return f;
            }
        }
        for (Form f : slot.forms) {
            if (f.prefix == Form.ANY && f.matches(c)) {
                return f;
            }
        }
        return null;
    }

    private OpcodeTables() {
    }
}
