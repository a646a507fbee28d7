package io.jkvm.translator.decoder;

/**
 * The bytes at an address do not form an instruction the CPU would execute. The {@link Reason} says which fault
 * the caller must raise; the exception is checked because every caller has to make that choice.
 *
 * <p>Instances carry no stack trace: random or hostile code makes them common, and the reason plus the bytes are
 * what a report needs.
 */
public final class DecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why decoding failed, in terms of the fault the CPU raises. */
    public enum Reason {
        /** The encoding is undefined or not allowed in this mode or with these prefixes: the CPU raises #UD. */
        INVALID,
        /** The instruction would be longer than 15 bytes: the CPU raises #GP(0). */
        TOO_LONG,
        /**
         * More bytes are needed than were available: the caller raises the page fault for the first missing byte
         * (or retries with more bytes). {@link #needed()} says how many bytes are known to be needed.
         */
        TRUNCATED
    }

    private final Reason reason;
    private final int needed;

    DecodeException(Reason reason, int needed, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
        this.needed = needed;
    }

    static DecodeException invalid(String detail) {
        return new DecodeException(Reason.INVALID, 0, detail);
    }

    public Reason reason() {
        return reason;
    }

    /**
     * For {@link Reason#TRUNCATED}: the number of bytes, counted from the first byte of the instruction, that the
     * decoder knows it needs (always more than were available, at most 15). 0 for the other reasons.
     */
    public int needed() {
        return needed;
    }
}
