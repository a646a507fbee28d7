package io.jkvm.mmu;

/**
 * The four ways an x86-64 CPU (without 5-level paging) turns a linear address into a physical one, chosen by
 * CR0.PG, CR4.PAE and EFER.LMA (Intel SDM vol. 3A, 4.1.1, table 4-1).
 */
public enum PagingMode {
    /** CR0.PG=0: the linear address is the physical address (32 bits: long mode needs paging). */
    NONE(0),
    /** CR0.PG=1, CR4.PAE=0: two levels of 4-byte entries; 4 MiB pages when CR4.PSE=1. */
    BITS32(2),
    /** CR0.PG=1, CR4.PAE=1, EFER.LMA=0: four PDPTE registers, then two levels of 8-byte entries. */
    PAE(3),
    /** CR0.PG=1, CR4.PAE=1, EFER.LMA=1: four levels of 8-byte entries, 48-bit canonical linear addresses. */
    LONG4(4);

    private final int levels;

    PagingMode(int levels) {
        this.levels = levels;
    }

    /** Number of paging-structure levels a walk goes through (PAE counts its PDPTE registers as a level). */
    public int levels() {
        return levels;
    }

    /** The mode selected by these register values (Intel SDM table 4-1). */
    public static PagingMode of(long cr0, long cr4, long efer) {
        if ((cr0 & PageWalker.CR0_PG) == 0) {
            return NONE;
        }
        if ((cr4 & PageWalker.CR4_PAE) == 0) {
            return BITS32;
        }
        return (efer & PageWalker.EFER_LMA) != 0 ? LONG4 : PAE;
    }
}
