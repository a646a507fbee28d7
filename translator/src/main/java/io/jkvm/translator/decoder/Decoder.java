package io.jkvm.translator.decoder;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The x86 instruction decoder: bytes in, one immutable {@link Instruction} out.
 *
 * <p>Decoding is generic; the knowledge is data. Prefixes are classified by a 256-entry table, the opcode selects
 * a slot of an opcode map ({@link OpcodeTables}, loaded from the SDM-notation {@code *.opcodes} resources), the
 * slot's rows are matched against the mandatory prefix, ModRM, REX.W/VEX.W, VEX.L, the mode and the operand size,
 * and the chosen row's operand handlers build the operands. Nothing here knows a particular instruction.
 *
 * <p>Hardware rules implemented: prefixes in any order and repeated; of F2/F3 the last wins; segment overrides
 * other than FS/GS are ignored in 64-bit mode; REX counts only immediately before the opcode (or VEX/XOP/EVEX
 * escape, where it makes the instruction invalid); 15-byte limit (#GP); LOCK only on the lockable
 * read-modify-write instructions with a memory destination; near branches take a 64-bit operand size in 64-bit
 * mode whatever 66 says (Intel 64 behaviour).
 *
 * <p>The {@code address} is the instruction pointer of the first byte; relative targets and RIP-relative
 * addresses are computed from it, and branch targets are wrapped to the operand size, which is exact whenever
 * CS.base is 0 (flat 32/64-bit code). Real-mode callers with a non-zero CS base pass IP and add the base.
 */
public final class Decoder {

    private Decoder() {
    }

    /**
     * Decodes the instruction at {@code code[offset]}.
     *
     * @param available how many bytes from {@code offset} may be read (the caller fetches up to 15; fewer when the
     *                  next page is not mapped). Bytes past the end of {@code code} are never read.
     * @throws DecodeException INVALID for #UD, TOO_LONG for #GP, TRUNCATED when more than {@code available}
     *                         bytes are needed (see {@link DecodeException#needed()})
     */
    public static Instruction decode(byte[] code, int offset, int available, long address, CodeSize mode)
            throws DecodeException {
        Objects.requireNonNull(mode, "mode");
        Objects.checkIndex(offset, code.length + 1);
        Cursor c = new Cursor(code, offset, available, address, mode);
        readPrefixes(c);
        Form form = readOpcode(c);

        c.osize = c.osizeFor(form);
        if (c.hasModrm && c.mod != 3 && !form.modIgnored) {
            c.readMemory();
        }
        if (form == THREE_DNOW_ESCAPE) {
            // 3DNow! puts its opcode after the operands, in the immediate position.
            form = OpcodeTables.AMD3DNOW[c.next()];
            if (form == null) {
                throw DecodeException.invalid("undefined 3DNow! suffix");
            }
        }
        int immediates = 0;
        for (OperandSpec o : form.operands) {
            immediates += o.immediateBytes(c);
        }
        c.need(immediates);
        c.immPos = c.pos;
        c.pos += immediates;
        c.length = c.pos - c.start;

        Operand[] operands = new Operand[form.operands.length];
        for (int i = 0; i < operands.length; i++) {
            operands[i] = form.operands[i].decode(c);
        }
        return new Instruction(address, c.length, form.mnemonic, List.of(operands), operandSize(c, form, operands),
                c.asize, prefixBits(c, form), form.condition, Arrays.copyOfRange(code, c.start, c.pos));
    }

    // Legacy prefix classes, indexed by byte: 1-6 segment override (hardware number + 1) and the rest below.
    private static final byte OPSIZE = 7, ADDRSIZE = 8, LOCK = 9, REPNE = 10, REP = 11;
    private static final byte[] PREFIX = new byte[256];

    static {
        PREFIX[0x26] = 1;
        PREFIX[0x2E] = 2;
        PREFIX[0x36] = 3;
        PREFIX[0x3E] = 4;
        PREFIX[0x64] = 5;
        PREFIX[0x65] = 6;
        PREFIX[0x66] = OPSIZE;
        PREFIX[0x67] = ADDRSIZE;
        PREFIX[0xF0] = LOCK;
        PREFIX[0xF2] = REPNE;
        PREFIX[0xF3] = REP;
    }

    private static void readPrefixes(Cursor c) throws DecodeException {
        boolean long64 = c.mode == CodeSize.BITS64;
        int rex = 0;
        for (;;) {
            int b = c.peek();
            if (long64 && (b & 0xF0) == 0x40) {
                rex = b;
                c.pos++;
                continue;
            }
            int kind = PREFIX[b];
            if (kind == 0) {
                break;
            }
            c.pos++;
            rex = 0; // a REX followed by another prefix is ignored
            switch (kind) {
                case OPSIZE -> c.has66 = true;
                case ADDRSIZE -> c.has67 = true;
                case LOCK -> c.lock = true;
                case REPNE, REP -> c.lastRep = b;
                default -> c.segOverride = kind - 1;
            }
        }
        if (rex != 0) {
            c.rex = true;
            c.w = c.rexW = (rex >> 3) & 1;
            c.rexR = (rex >> 2) & 1;
            c.rexX = (rex >> 1) & 1;
            c.rexB = rex & 1;
        }
        c.asize = switch (c.mode) {
            case BITS16 -> c.has67 ? 4 : 2;
            case BITS32 -> c.has67 ? 2 : 4;
            case BITS64 -> c.has67 ? 4 : 8;
        };
    }

    /** Marks the 0F 0F slot, whose real row is chosen by the suffix byte. */
    private static final Form THREE_DNOW_ESCAPE = new Form(Mnemonic.NOP, -1, new OperandSpec[0], "0F 0F");

    private static Form readOpcode(Cursor c) throws DecodeException {
        int b = c.next();
        boolean long64 = c.mode == CodeSize.BITS64;
        if (b == 0x0F) {
            int b2 = c.next();
            if (b2 == 0x38 || b2 == 0x3A) {
                c.map = b2 == 0x38 ? OpcodeTables.MAP_0F38 : OpcodeTables.MAP_0F3A;
                c.opcode = c.next();
            } else if (b2 == 0x0F) {
                c.readModrm();
                return THREE_DNOW_ESCAPE;
            } else {
                c.map = OpcodeTables.MAP_0F;
                c.opcode = b2;
            }
        } else if ((b == 0xC4 || b == 0xC5) && (long64 || c.peek() >= 0xC0)) {
            readVex(c, b);
        } else if (b == 0x8F && (c.peek() & 0x1F) >= 8) {
            readVex(c, b);
        } else if (b == 0x62 && (long64 || c.peek() >= 0xC0)) {
            readEvex(c);
        } else {
            c.opcode = b;
        }
        OpcodeTables.Slot slot = OpcodeTables.slot(c.encoding, c.map, c.opcode);
        if (slot.forms.length == 0) {
            throw DecodeException.invalid("undefined opcode");
        }
        if (slot.modrm) {
            c.readModrm();
        }
        Form form = OpcodeTables.select(slot, c);
        if (form == null) {
            throw DecodeException.invalid("opcode undefined with these prefixes, ModRM or mode");
        }
        if (c.lock && !(form.lockable && c.mod != 3)) {
            throw DecodeException.invalid("LOCK prefix on an instruction that is not a locked memory update");
        }
        if (c.encoding != Cursor.Encoding.LEGACY && form.vvvvUnused && c.vvvv != 0) {
            throw DecodeException.invalid("VEX.vvvv must be 1111b for this instruction");
        }
        return form;
    }

    /** VEX (C5: 2-byte, C4: 3-byte) and AMD XOP (8F): the inverted R/X/B/vvvv fields replace REX and 66/F2/F3. */
    private static void readVex(Cursor c, int escape) throws DecodeException {
        if (c.has66 || c.lastRep != 0 || c.lock || c.rex) {
            throw DecodeException.invalid("VEX/XOP after a 66, F2, F3, LOCK or REX prefix");
        }
        boolean long64 = c.mode == CodeSize.BITS64;
        int b1 = c.next();
        int b2;
        c.rexR = (~b1 >> 7) & 1;
        if (escape == 0xC5) {
            c.map = 1;
            b2 = b1;
            c.encoding = Cursor.Encoding.VEX;
        } else {
            c.rexX = (~b1 >> 6) & 1;
            c.rexB = (~b1 >> 5) & 1;
            c.map = b1 & 0x1F;
            b2 = c.next();
            c.w = b2 >> 7;
            c.encoding = escape == 0xC4 ? Cursor.Encoding.VEX : Cursor.Encoding.XOP;
            boolean known = escape == 0xC4 ? c.map >= 1 && c.map <= 3 : c.map >= 8 && c.map <= 10;
            if (!known) {
                throw DecodeException.invalid("undefined VEX/XOP opcode map " + c.map);
            }
        }
        if (!long64) {
            c.rexR = c.rexX = c.rexB = 0;
        }
        c.vvvv = (~b2 >> 3) & (long64 ? 15 : 7);
        c.vexL = (b2 >> 2) & 1;
        c.vexPP = b2 & 3;
        c.vl = c.vexL == 0 ? 16 : 32;
        c.opcode = c.next();
    }

    /** EVEX (62): P0 = R X B R' 0 mmm, P1 = W vvvv 1 pp, P2 = z L'L b V' aaa. */
    private static void readEvex(Cursor c) throws DecodeException {
        if (c.has66 || c.lastRep != 0 || c.lock || c.rex) {
            throw DecodeException.invalid("EVEX after a 66, F2, F3, LOCK or REX prefix");
        }
        boolean long64 = c.mode == CodeSize.BITS64;
        int p0 = c.next();
        int p1 = c.next();
        int p2 = c.next();
        if ((p0 & 0x08) != 0 || (p1 & 0x04) == 0) {
            throw DecodeException.invalid("EVEX reserved bits");
        }
        c.encoding = Cursor.Encoding.EVEX;
        c.map = p0 & 7;
        c.rexR = (~p0 >> 7) & 1;
        c.rexX = (~p0 >> 6) & 1;
        c.rexB = (~p0 >> 5) & 1;
        c.evexR2 = (~p0 >> 4) & 1;
        c.w = p1 >> 7;
        c.vvvv = (~p1 >> 3) & 15 | ((~p2 >> 3) & 1) << 4;
        c.vexPP = p1 & 3;
        c.vexL = (p2 >> 5) & 3;
        if (!long64) {
            c.rexR = c.rexX = c.rexB = c.evexR2 = 0;
            c.vvvv &= 7;
        }
        c.vl = 16 << Math.min(c.vexL, 2);
        c.opcode = c.next();
    }

    /**
     * The operand size the instruction works at: that of its first operand that has one (registers at their full
     * width, memory at its access size), else the operand-size attribute (PUSH imm, Jcc, RET imm16 ...).
     */
    private static int operandSize(Cursor c, Form form, Operand[] operands) {
        for (int i = 0; i < operands.length; i++) {
            if (!form.operands[i].sizeless() && operands[i].size() > 0) {
                return operands[i].size();
            }
        }
        return c.osize;
    }

    private static int prefixBits(Cursor c, Form form) {
        int p = 0;
        if (c.lock) p |= Prefix.LOCK;
        if (c.lastRep == 0xF3 && !(form.prefix == Form.PF3 && c.encoding == Cursor.Encoding.LEGACY)) p |= Prefix.REP;
        if (c.lastRep == 0xF2 && form.prefix != Form.PF2) p |= Prefix.REPNE;
        if (c.has66 && form.prefix != Form.P66) p |= Prefix.OPERAND_SIZE;
        if (c.has67) p |= Prefix.ADDRESS_SIZE;
        if (c.segOverride >= 0) p |= Prefix.SEGMENT;
        if (c.rex) p |= Prefix.REX;
        if (c.rexW == 1) p |= Prefix.REX_W;
        if (c.encoding == Cursor.Encoding.VEX || c.encoding == Cursor.Encoding.XOP) p |= Prefix.VEX;
        if (c.encoding == Cursor.Encoding.EVEX) p |= Prefix.EVEX;
        return p;
    }
}
