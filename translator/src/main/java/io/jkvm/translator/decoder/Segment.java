package io.jkvm.translator.decoder;

/** Segment registers in their hardware encoding order. */
public enum Segment {
    ES, CS, SS, DS, FS, GS;

    private static final Segment[] BY_NUMBER = values();

    /** The segment with hardware number 0-5. */
    public static Segment of(int number) {
        return BY_NUMBER[number];
    }
}
