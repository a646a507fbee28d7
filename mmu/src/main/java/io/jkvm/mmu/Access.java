package io.jkvm.mmu;

/**
 * The kind of a guest memory access, as the page walker and the TLB see it. x86 checks a different permission for
 * each (R/W for writes, XD and SMEP for instruction fetches), sets the Dirty bit only for writes, and reports the
 * kind in the page-fault error code (W/R and I/D bits); the soft TLB keeps one array per kind.
 */
public enum Access {
    /** A data read (including the read half of a read-modify-write that has not yet been checked for write). */
    READ,
    /** A data write: needs R/W=1 (or a supervisor access with CR0.WP=0) and sets the Dirty bit of the leaf entry. */
    WRITE,
    /** An instruction fetch: needs XD=0 when EFER.NXE=1, and with CR4.SMEP no user page at CPL 0-2. */
    EXECUTE
}
