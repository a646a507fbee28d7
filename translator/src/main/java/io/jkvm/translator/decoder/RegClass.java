package io.jkvm.translator.decoder;

/** The register files an operand can name. */
public enum RegClass {
    /** RAX..R15 by number 0-15 (AL..R15B, AX..R15W, EAX..R15D, RAX..R15 by operand size; SPL..DIL with REX). */
    GPR,
    /** AH, CH, DH, BH: numbers 4-7 of an 8-bit operand without REX. {@code number} is 0-3 (AH=0 ... BH=3). */
    GPR8_HIGH,
    /** ES=0, CS=1, SS=2, DS=3, FS=4, GS=5 (the ModRM.reg encoding of MOV Sreg). */
    SEGMENT,
    /** CR0..CR15. */
    CONTROL,
    /** DR0..DR7. */
    DEBUG,
    /** XMM0..XMM15 (and beyond with EVEX, decoded only for length). */
    XMM,
    /** YMM0..YMM15 (VEX.L=1), decoded only. */
    YMM,
    /** MM0..MM7. */
    MMX,
    /** ST(0)..ST(7). */
    X87,
    /**
     * Mask registers k0..k7 and other files jkvm decodes only for length and name, numbered from the bases below:
     * k0-k7 from {@link #MASK_BASE}, bnd0-bnd3 (MPX) from {@link #BND_BASE}, tmm0-tmm7 (AMX) from
     * {@link #TMM_BASE}, zmm0-zmm31 (EVEX.512) from {@link #ZMM_BASE}.
     */
    OTHER;

    /** {@link #OTHER} numbers of k0..k7. */
    public static final int MASK_BASE = 0;
    /** {@link #OTHER} numbers of bnd0..bnd3. */
    public static final int BND_BASE = 8;
    /** {@link #OTHER} numbers of tmm0..tmm7. */
    public static final int TMM_BASE = 12;
    /** {@link #OTHER} numbers of zmm0..zmm31. */
    public static final int ZMM_BASE = 32;
}
