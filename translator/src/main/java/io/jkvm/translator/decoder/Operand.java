package io.jkvm.translator.decoder;

/**
 * One operand of a decoded instruction. Sizes are in bytes. The decoder resolves every encoding detail (REX, ModRM,
 * SIB, 16-bit addressing forms, RIP-relative displacements, immediate extension) so that code generation never
 * looks at raw bytes again.
 */
public sealed interface Operand permits Operand.Reg, Operand.Mem, Operand.Imm, Operand.Rel, Operand.Far {

    /** Operand size in bytes (1, 2, 4, 8, 10, 16, 32 ...); 0 where the instruction gives none (LEA's memory). */
    int size();

    /** A register: {@code number} indexes {@code regClass}'s file. */
    record Reg(RegClass regClass, int number, int size) implements Operand {
    }

    /**
     * A memory operand: {@code segment:[base + index*scale + displacement]}, computed in {@code addressSize} bytes
     * (2, 4 or 8) and truncated to it. {@code base} and {@code index} are GPR numbers, {@link #NONE} when absent;
     * {@code base == }{@link #RIP} means RIP-relative, with {@code displacement} already holding the absolute target
     * (the next instruction's address plus disp32), so that the effective address is just {@code displacement}.
     * {@code segment} is the effective segment (the override if any, else DS, or SS for RSP/RBP/BP bases).
     * In 64-bit mode only FS/GS overrides count; an ES/CS/SS/DS override leaves the default (the prefix is still
     * in {@link Prefix#SEGMENT}). Without an index, {@code scale} is 1. For the VSIB forms of the decode-only
     * gathers and scatters, {@code index} numbers the vector register (low four bits) that holds the indexes.
     */
    record Mem(int size, Segment segment, int base, int index, int scale, long displacement, int addressSize)
            implements Operand {
        public static final int NONE = -1;
        public static final int RIP = 16;
    }

    /** An immediate, already sign- or zero-extended as the instruction defines; {@code size} is the encoded width. */
    record Imm(long value, int size) implements Operand {
    }

    /** A relative branch target, resolved to the absolute address (wrapped to the operand size as the CPU does). */
    record Rel(long target, int size) implements Operand {
    }

    /** A far pointer {@code selector:offset} (JMP/CALL ptr16:16 and ptr16:32). */
    record Far(int selector, long offset, int size) implements Operand {
    }
}
