package io.jkvm.translator.decoder;

/**
 * The operand-type suffixes of the SDM's opcode maps (Appendix A.2.2), resolved to bytes for one instruction. The
 * vector codes follow the vector length ({@code x}), or a fraction of it for widening conversions
 * ({@code h}: half, {@code qx}: quarter, {@code ox}: eighth, as in PMOVZXBW/BD/BQ).
 */
enum SizeCode {
    NONE, B, W, D, Q, DQ, QQ, T,
    /** word, doubleword or quadword by the operand-size attribute. */
    V,
    /** word for 16-bit operand size, else doubleword (immediates and far offsets never exceed 32 bits). */
    Z,
    /** doubleword, or quadword with a 64-bit operand size. */
    Y,
    /** far pointer m16:16, m16:32 or m16:64. */
    P,
    /** pseudo-descriptor for LGDT/SGDT: 6 bytes, 10 in 64-bit mode. */
    S,
    /** BOUND's pair of words or doublewords. */
    A,
    /** the vector length: 16, 32 or 64. */
    X,
    H, QX, OX,
    /** 64 bytes (a full ZMM / cache line, MOVDIR64B). */
    ZQ,
    /** the address size: MOVDIR64B's and ENQCMD's destination register holds an address. */
    AD;

    static SizeCode parse(String s) {
        return switch (s) {
            case "" -> NONE;
            case "b" -> B;
            case "w" -> W;
            case "d", "ss", "si" -> D;
            case "q", "sd", "pi" -> Q;
            case "dq" -> DQ;
            case "qq" -> QQ;
            case "t" -> T;
            case "v" -> V;
            case "z" -> Z;
            case "y" -> Y;
            case "p" -> P;
            case "s" -> S;
            case "a" -> A;
            case "x", "ps", "pd" -> X;
            case "h" -> H;
            case "qx" -> QX;
            case "ox" -> OX;
            case "zq" -> ZQ;
            case "ad" -> AD;
            default -> throw new IllegalArgumentException("unknown operand type '" + s + "'");
        };
    }

    int bytes(Cursor c) {
        return switch (this) {
            case NONE -> 0;
            case B -> 1;
            case W -> 2;
            case D -> 4;
            case Q -> 8;
            case DQ -> 16;
            case QQ -> 32;
            case T -> 10;
            case V -> c.osize;
            case Z -> c.osize == 2 ? 2 : 4;
            case Y -> c.osize == 8 ? 8 : 4;
            case P -> c.osize + 2;
            case S -> c.mode == CodeSize.BITS64 ? 10 : 6;
            case A -> c.osize * 2;
            case X -> c.vl;
            case H -> c.vl / 2;
            case QX -> c.vl / 4;
            case OX -> c.vl / 8;
            case ZQ -> 64;
            case AD -> c.asize;
        };
    }

    /** The width of a vector register holding an operand of this type: at least an XMM register. */
    int vectorRegisterBytes(Cursor c) {
        return switch (this) {
            case X -> c.vl;
            case H -> Math.max(16, c.vl / 2);
            case QQ -> 32;
            case ZQ -> 64;
            default -> 16;
        };
    }
}
