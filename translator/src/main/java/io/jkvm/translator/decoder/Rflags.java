package io.jkvm.translator.decoder;

/**
 * RFLAGS bit masks, in the hardware bit positions, as used by {@link Mnemonic#flagsRead()},
 * {@link Mnemonic#flagsWritten()} and {@link Mnemonic#flagsUndefined()}. The combined masks name the groups
 * the SDM's "Flags Affected" sections keep repeating.
 */
public final class Rflags {
    public static final int CF = 0x1;
    public static final int PF = 0x4;
    public static final int AF = 0x10;
    public static final int ZF = 0x40;
    public static final int SF = 0x80;
    public static final int TF = 0x100;
    public static final int IF = 0x200;
    public static final int DF = 0x400;
    public static final int OF = 0x800;
    /** IOPL, bits 12-13. */
    public static final int IOPL = 0x3000;
    public static final int NT = 0x4000;
    public static final int RF = 0x10000;
    public static final int VM = 0x20000;
    public static final int AC = 0x40000;
    public static final int VIF = 0x80000;
    public static final int VIP = 0x100000;
    public static final int ID = 0x200000;

    /** The six arithmetic status flags. */
    public static final int OSZAPC = OF | SF | ZF | AF | PF | CF;
    /** The status flags a logical operation defines (AF is left undefined). */
    public static final int OSZPC = OF | SF | ZF | PF | CF;
    /** The status flags INC/DEC write (CF is preserved). */
    public static final int OSZAP = OF | SF | ZF | AF | PF;
    /** The flags Jcc/SETcc/CMOVcc can test between them. */
    public static final int CONDITIONS = OF | SF | ZF | PF | CF;
    /** The low byte SAHF writes and LAHF reads. */
    public static final int SZAPC = SF | ZF | AF | PF | CF;
    /** Every architecturally defined flag (what POPF/IRET may write). */
    public static final int ALL = OSZAPC | TF | IF | DF | IOPL | NT | RF | VM | AC | VIF | VIP | ID;

    private Rflags() {
    }

    /**
     * The flags condition code {@code cc} (0-15, the low nibble of Jcc) reads: O/NO read OF, B/AE CF, E/NE ZF,
     * BE/A CF|ZF, S/NS SF, P/NP PF, L/GE SF|OF, LE/G ZF|SF|OF.
     */
    public static int readByCondition(int cc) {
        return CONDITION_READS[(cc & 15) >> 1];
    }

    private static final int[] CONDITION_READS = {OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF};
}
