package io.jkvm.translator.decoder;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads opcode-table rows written in the SDM's notation into {@link Form}s and files them into
 * {@link OpcodeTables}. The syntax is described at the top of {@code legacy.opcodes}.
 */
final class TableParser {

    private static final Set<String> MANDATORY = Set.of("NP", "NFx", "66", "F2", "F3");
    private final Map<String, OperandSpec> specs = new HashMap<>();

    void parse(String line) {
        int hash = line.indexOf('#');
        if (hash >= 0) {
            line = line.substring(0, hash);
        }
        line = line.strip();
        if (line.isEmpty()) {
            return;
        }
        String[] t = line.split("\\s+");
        int i = 0;
        int prefix = Form.ANY;
        int w = Form.ANY;
        int l = Form.ANY;
        Cursor.Encoding encoding = Cursor.Encoding.LEGACY;
        int map = 0;
        boolean amd3dnow = false;

        if (t[0].startsWith("VEX.") || t[0].startsWith("XOP.") || t[0].startsWith("EVEX.")) {
            String[] parts = t[0].split("\\.");
            encoding = Cursor.Encoding.valueOf(parts[0]);
            prefix = Form.NP;
            map = -1;
            for (int p = 1; p < parts.length; p++) {
                switch (parts[p]) {
                    case "128", "L0", "LZ" -> l = 0;
                    case "256", "L1" -> l = 1;
                    case "512" -> l = 2;
                    case "LIG" -> l = Form.ANY;
                    case "NP" -> prefix = Form.NP;
                    case "66" -> prefix = Form.P66;
                    case "F3" -> prefix = Form.PF3;
                    case "F2" -> prefix = Form.PF2;
                    case "0F" -> map = 1;
                    case "0F38" -> map = 2;
                    case "0F3A" -> map = 3;
                    case "MAP5" -> map = 5;
                    case "MAP6" -> map = 6;
                    case "08" -> map = 8;
                    case "09" -> map = 9;
                    case "0A" -> map = 10;
                    case "W0" -> w = 0;
                    case "W1" -> w = 1;
                    case "WIG" -> w = Form.ANY;
                    default -> throw new IllegalArgumentException("unknown field " + parts[p]);
                }
            }
            if (map < 0) {
                throw new IllegalArgumentException("no opcode map in " + t[0]);
            }
            i++;
        } else {
            if (MANDATORY.contains(t[i]) && i + 1 < t.length && (isHex(t[i + 1]) || t[i + 1].equals("REX.W"))) {
                prefix = switch (t[i]) {
                    case "NP" -> Form.NP;
                    case "NFx" -> Form.NFX;
                    case "66" -> Form.P66;
                    case "F3" -> Form.PF3;
                    default -> Form.PF2;
                };
                i++;
            }
            if (t[i].equals("REX.W")) {
                w = 1;
                i++;
            }
            if (t[i].equals("3DNOW")) {
                amd3dnow = true;
                i++;
            } else if (t[i].equals("0F") && i + 1 < t.length && isHexish(t[i + 1])) {
                map = OpcodeTables.MAP_0F;
                i++;
                if ((t[i].equals("38") || t[i].equals("3A")) && i + 1 < t.length && isHexish(t[i + 1])) {
                    map = t[i].equals("38") ? OpcodeTables.MAP_0F38 : OpcodeTables.MAP_0F3A;
                    i++;
                }
            }
        }

        // The opcode byte, possibly a "+r" (eight registers) or "+cc" (sixteen conditions) family.
        String op = t[i++];
        int plus = op.indexOf('+');
        int opcode = Integer.parseInt(plus < 0 ? op : op.substring(0, plus), 16);
        String family = plus < 0 ? "" : op.substring(plus + 1);
        int count = switch (family) {
            case "" -> 1;
            case "r" -> 8;
            case "cc" -> 16;
            default -> throw new IllegalArgumentException("unknown opcode family +" + family);
        };

        // ModRM: /r, /digit, an exact byte (C1) or an x87 register row (C0+i), then mem or 11B.
        int reg = Form.ANY, rm = Form.ANY, mod = Form.ANY, modValue = Form.ANY;
        boolean modrm = false;
        while (i < t.length && !isMnemonic(t[i])) {
            String s = t[i++];
            if (s.equals("/r")) {
                modrm = true;
            } else if (s.length() == 2 && s.charAt(0) == '/' && Character.isDigit(s.charAt(1))) {
                modrm = true;
                reg = s.charAt(1) - '0';
            } else if (s.equals("mem")) {
                mod = OperandSpec.MOD_MEM;
            } else if (s.equals("11B")) {
                mod = OperandSpec.MOD_REG;
            } else if (isHex(s) || s.endsWith("+i") && isHex(s.substring(0, 2))) {
                int b = Integer.parseInt(s.substring(0, 2), 16);
                modrm = true;
                if (b < 0xC0) {
                    modValue = b >> 6; // an exact memory form, e.g. 3D = [rip+disp32] with reg 7
                    mod = OperandSpec.MOD_MEM;
                } else {
                    mod = OperandSpec.MOD_REG;
                }
                reg = (b >> 3) & 7;
                if (!s.endsWith("+i")) {
                    rm = b & 7;
                }
            } else {
                throw new IllegalArgumentException("unexpected token " + s);
            }
        }
        if (i >= t.length) {
            throw new IllegalArgumentException("no mnemonic");
        }
        Mnemonic mnemonic = Mnemonic.valueOf(t[i++]);
        String operandText = "";
        if (i < t.length && !isAttribute(t[i])) {
            operandText = t[i++];
        }

        int condition = -1;
        int regNot = Form.ANY;
        int modes = 0b111;
        int osize = 0, asize = 0;
        boolean lockable = false, d64 = false, f64 = false, modIgnored = false, rexBClear = false, vsib = false;
        for (; i < t.length; i++) {
            String a = t[i];
            switch (a) {
                case "lock" -> lockable = true;
                case "i64" -> modes = 0b011;
                case "o64" -> modes = 0b100;
                case "d64" -> d64 = true;
                case "f64" -> f64 = true;
                case "os16" -> osize = 2;
                case "os32" -> osize = 4;
                case "os64" -> osize = 8;
                case "as16" -> asize = 2;
                case "as32" -> asize = 4;
                case "as64" -> asize = 8;
                case "w0" -> w = 0;
                case "w1" -> w = 1;
                case "nrexb" -> rexBClear = true;
                case "modignored" -> modIgnored = true;
                case "vsib" -> vsib = true;
                default -> {
                    if (a.startsWith("cc=")) {
                        condition = Integer.parseInt(a.substring(3));
                    } else if (a.startsWith("notreg=")) {
                        regNot = Integer.parseInt(a.substring(7));
                    } else {
                        throw new IllegalArgumentException("unknown attribute " + a);
                    }
                }
            }
        }

        OperandSpec[] operands = operands(operandText, modIgnored);
        for (OperandSpec o : operands) {
            int c = o.modConstraint();
            if (c != OperandSpec.ANY) {
                if (mod != Form.ANY && mod != c) {
                    throw new IllegalArgumentException("operands contradict the mod field");
                }
                mod = c;
            }
            if (o.usesModrm() && !modrm && !amd3dnow) {
                throw new IllegalArgumentException("operand " + o.getClass().getSimpleName() + " needs /r or /digit");
            }
        }

        for (int k = 0; k < count; k++) {
            Form f = new Form(mnemonic, family.equals("cc") ? k : condition, operands, line);
            f.prefix = prefix;
            f.reg = reg;
            f.regNot = regNot;
            f.rm = rm;
            f.mod = mod;
            f.modValue = modValue;
            f.w = w;
            f.l = l;
            f.modes = modes;
            f.osize = osize;
            f.asize = asize;
            f.lockable = lockable;
            f.default64 = d64;
            f.forced64 = f64;
            f.modIgnored = modIgnored;
            f.rexBClear = rexBClear;
            f.vsib = vsib;
            if (amd3dnow) {
                if (OpcodeTables.AMD3DNOW[opcode] != null) {
                    throw new IllegalArgumentException("3DNow! suffix defined twice");
                }
                OpcodeTables.AMD3DNOW[opcode] = f;
            } else {
                OpcodeTables.slot(encoding, map, opcode + k).building.add(f);
            }
            if (family.equals("r")) {
                // One row serves all eight registers: the handler reads them from the opcode.
                for (int r = 1; r < 8; r++) {
                    OpcodeTables.slot(encoding, map, opcode + r).building.add(f);
                }
                break;
            }
        }
    }

    private OperandSpec[] operands(String text, boolean modIgnored) {
        if (text.isEmpty()) {
            return new OperandSpec[0];
        }
        String[] parts = text.split(",");
        OperandSpec[] out = new OperandSpec[parts.length];
        for (int k = 0; k < parts.length; k++) {
            String key = parts[k] + (modIgnored ? "!" : "");
            OperandSpec spec = specs.get(key);
            if (spec == null) {
                spec = operand(parts[k], modIgnored);
                specs.put(key, spec);
            }
            out[k] = spec;
        }
        return out;
    }

    private static OperandSpec operand(String s, boolean modIgnored) {
        switch (s) {
            case "AL": return new OperandSpec.FixedReg(RegClass.GPR, 0, SizeCode.B);
            case "CL": return new OperandSpec.FixedReg(RegClass.GPR, 1, SizeCode.B);
            case "AX": return new OperandSpec.FixedReg(RegClass.GPR, 0, SizeCode.W);
            case "DX": return new OperandSpec.FixedReg(RegClass.GPR, 2, SizeCode.W);
            case "eAX": return new OperandSpec.FixedReg(RegClass.GPR, 0, SizeCode.Z);
            case "rAX": return new OperandSpec.FixedReg(RegClass.GPR, 0, SizeCode.V);
            case "ES": return new OperandSpec.FixedReg(RegClass.SEGMENT, 0, SizeCode.W);
            case "CS": return new OperandSpec.FixedReg(RegClass.SEGMENT, 1, SizeCode.W);
            case "SS": return new OperandSpec.FixedReg(RegClass.SEGMENT, 2, SizeCode.W);
            case "DS": return new OperandSpec.FixedReg(RegClass.SEGMENT, 3, SizeCode.W);
            case "FS": return new OperandSpec.FixedReg(RegClass.SEGMENT, 4, SizeCode.W);
            case "GS": return new OperandSpec.FixedReg(RegClass.SEGMENT, 5, SizeCode.W);
            case "ST": return new OperandSpec.FixedReg(RegClass.X87, 0, SizeCode.T);
            case "STi": return new OperandSpec.StackReg();
            case "XMM0": return new OperandSpec.FixedReg(RegClass.XMM, 0, SizeCode.DQ);
            case "1": return new OperandSpec.Constant();
            case "I4": return new OperandSpec.Is4Immediate();
            case "XLATb": return new OperandSpec.StringMem(false, SizeCode.B, 3);
            default: break;
        }
        int slash = s.indexOf('/');
        if (slash >= 0) {
            // The SDM's "r32/m16" pairs: a register-only half and a memory-only half.
            OperandSpec.ModrmRm r = (OperandSpec.ModrmRm) operand(s.substring(0, slash), false);
            OperandSpec.ModrmRm m = (OperandSpec.ModrmRm) operand(s.substring(slash + 1), false);
            if (r.memSize != null || m.regKind != null) {
                throw new IllegalArgumentException("a pair is register/memory: " + s);
            }
            return new OperandSpec.ModrmRm(r.regKind, r.regSize, m.memSize, false);
        }
        if (s.startsWith("K") && s.length() >= 2 && Character.isLowerCase(s.charAt(1))) {
            return special(OperandSpec.RegKind.MASK, s.substring(1), SizeCode.Q);
        }
        if (s.startsWith("BND")) {
            return special(OperandSpec.RegKind.BND, s.substring(3), SizeCode.DQ);
        }
        if (s.startsWith("TMM")) {
            return special(OperandSpec.RegKind.TMM, s.substring(3), SizeCode.NONE);
        }
        char method = s.charAt(0);
        String type = s.substring(1);
        return switch (method) {
            case 'E' -> new OperandSpec.ModrmRm(OperandSpec.RegKind.GPR, SizeCode.parse(type), SizeCode.parse(type), false);
            case 'M' -> new OperandSpec.ModrmRm(null, null, SizeCode.parse(type), false);
            case 'R' -> new OperandSpec.ModrmRm(OperandSpec.RegKind.GPR, SizeCode.parse(type), null, modIgnored);
            case 'Q' -> new OperandSpec.ModrmRm(OperandSpec.RegKind.MMX, SizeCode.Q, SizeCode.parse(type), false);
            case 'N' -> new OperandSpec.ModrmRm(OperandSpec.RegKind.MMX, SizeCode.Q, null, false);
            case 'W' -> new OperandSpec.ModrmRm(OperandSpec.RegKind.VECTOR, SizeCode.parse(type), SizeCode.parse(type), false);
            case 'U' -> new OperandSpec.ModrmRm(OperandSpec.RegKind.VECTOR, SizeCode.parse(type), null, false);
            case 'G' -> new OperandSpec.ModrmReg(OperandSpec.RegKind.GPR, SizeCode.parse(type));
            case 'P' -> new OperandSpec.ModrmReg(OperandSpec.RegKind.MMX, SizeCode.Q);
            case 'V' -> new OperandSpec.ModrmReg(OperandSpec.RegKind.VECTOR, SizeCode.parse(type));
            case 'C' -> new OperandSpec.ModrmReg(OperandSpec.RegKind.CONTROL, SizeCode.Y);
            case 'D' -> new OperandSpec.ModrmReg(OperandSpec.RegKind.DEBUG, SizeCode.Y);
            case 'S' -> new OperandSpec.ModrmReg(OperandSpec.RegKind.SEGMENT, SizeCode.W);
            case 'B' -> new OperandSpec.Vvvv(OperandSpec.RegKind.GPR, SizeCode.parse(type));
            case 'H' -> new OperandSpec.Vvvv(OperandSpec.RegKind.VECTOR, SizeCode.parse(type));
            case 'I' -> type.endsWith("s")
                    ? new OperandSpec.Immediate(SizeCode.parse(type.substring(0, type.length() - 1)), true)
                    : new OperandSpec.Immediate(SizeCode.parse(type), false);
            case 'J' -> new OperandSpec.Relative(SizeCode.parse(type));
            case 'A' -> new OperandSpec.FarPointer();
            case 'O' -> new OperandSpec.MemoryOffset(SizeCode.parse(type));
            case 'X' -> new OperandSpec.StringMem(false, SizeCode.parse(type), 6);
            case 'Y' -> new OperandSpec.StringMem(true, SizeCode.parse(type), 7);
            case 'Z' -> new OperandSpec.OpcodeReg(SizeCode.parse(type));
            case 'L' -> new OperandSpec.Is4Reg(SizeCode.parse(type));
            default -> throw new IllegalArgumentException("unknown operand notation " + s);
        };
    }

    /** Register files without an SDM letter: k (mask), bnd, tmm. g = ModRM.reg, h = vvvv, u = ModRM.rm. */
    private static OperandSpec special(OperandSpec.RegKind kind, String where, SizeCode regSize) {
        return switch (where) {
            case "g" -> new OperandSpec.ModrmReg(kind, regSize);
            case "h" -> new OperandSpec.Vvvv(kind, regSize);
            case "u" -> new OperandSpec.ModrmRm(kind, regSize, null, false);
            default -> new OperandSpec.ModrmRm(kind, regSize, SizeCode.parse(where), false);
        };
    }

    private static boolean isHex(String s) {
        return s.length() == 2 && Character.digit(s.charAt(0), 16) >= 0 && Character.digit(s.charAt(1), 16) >= 0
                && s.equals(s.toUpperCase());
    }

    private static boolean isHexish(String s) {
        return isHex(s) || s.length() > 3 && isHex(s.substring(0, 2)) && s.charAt(2) == '+';
    }

    private static boolean isMnemonic(String s) {
        return s.length() >= 2 && Character.isUpperCase(s.charAt(0)) && !isHexish(s) && !s.equals("11B")
                && s.chars().allMatch(ch -> Character.isUpperCase(ch) || Character.isDigit(ch) || ch == '_');
    }

    private static final Set<String> ATTRIBUTES = Set.of("lock", "i64", "o64", "d64", "f64", "os16", "os32",
            "os64", "as16", "as32", "as64", "w0", "w1", "nrexb", "modignored", "vsib");

    private static boolean isAttribute(String s) {
        return ATTRIBUTES.contains(s) || s.startsWith("cc=") || s.startsWith("notreg=");
    }
}
