package io.jkvm.translator.decoder;

/** Bits of {@link Instruction#prefixes()}: the prefixes the instruction was encoded with. */
public final class Prefix {
    public static final int LOCK = 1;
    /** F3: REP / REPE (or a mandatory SSE prefix, in which case the decoder does not set it). */
    public static final int REP = 1 << 1;
    /** F2: REPNE (or a mandatory SSE prefix, in which case the decoder does not set it). */
    public static final int REPNE = 1 << 2;
    /** 66 seen (as an operand-size override, not as a mandatory SSE prefix). */
    public static final int OPERAND_SIZE = 1 << 3;
    /** 67 seen. */
    public static final int ADDRESS_SIZE = 1 << 4;
    /** A segment override was given (the segment itself is in {@link Operand.Mem#segment()}). */
    public static final int SEGMENT = 1 << 5;
    public static final int REX = 1 << 6;
    public static final int REX_W = 1 << 7;
    public static final int VEX = 1 << 8;
    public static final int EVEX = 1 << 9;

    private Prefix() {
    }
}
