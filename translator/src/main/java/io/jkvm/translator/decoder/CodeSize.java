package io.jkvm.translator.decoder;

/**
 * The default operand and address size of the code segment being decoded: 16-bit (real mode, or CS.D=0),
 * 32-bit (CS.D=1) or 64-bit (long mode with CS.L=1). It is the only CPU-mode input that changes decoding.
 */
public enum CodeSize {
    BITS16(2), BITS32(4), BITS64(8);

    private final int bytes;

    CodeSize(int bytes) {
        this.bytes = bytes;
    }

    /** The default operand/address size in bytes: 2, 4 or 8. */
    public int bytes() {
        return bytes;
    }
}
