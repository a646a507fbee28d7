package io.jkvm.mmu;

/**
 * The outcome of one {@link PageWalker#walk}: a physical address and what the mapping allows, or a fault.
 * Mutable and reused (one per vcpu) so that a walk allocates nothing; read it before the next walk.
 *
 * <p>The permissions are the effective ones for the privilege level of the walk (user or supervisor) under the
 * current CR0.WP, CR4.SMEP/SMAP and EFER.NXE, combined over every level of the walk, which is what a TLB entry
 * filled for that privilege level may allow. They are exactly what x86 checks, so a TLB that trusts them needs a
 * flush when those control bits change (see {@link Mmu}).
 */
public final class WalkResult {
    /** How a walk ended. */
    public enum Status {
        /** Translated: {@link #physicalAddress()} is valid. */
        OK,
        /** A #PF: see {@link #errorCode()} and {@link #linearAddress()}. */
        PAGE_FAULT,
        /** A non-canonical address in long mode: #GP(0) or #SS(0), no walk was done. */
        NON_CANONICAL
    }

    private Status status = Status.OK;
    private long linearAddress;
    private long physicalAddress;
    private long pageSize;
    private int errorCode;
    private boolean readable;
    private boolean writable;
    private boolean executable;
    private boolean userPage;
    private boolean smapDependent;

    void ok(long linear, long physical, long pageSize, boolean readable, boolean writable, boolean executable,
            boolean userPage, boolean smapDependent) {
        this.status = Status.OK;
        this.linearAddress = linear;
        this.physicalAddress = physical;
        this.pageSize = pageSize;
        this.errorCode = 0;
        this.readable = readable;
        this.writable = writable;
        this.executable = executable;
        this.userPage = userPage;
        this.smapDependent = smapDependent;
    }

    void pageFault(long linear, int errorCode) {
        this.status = Status.PAGE_FAULT;
        this.linearAddress = linear;
        this.errorCode = errorCode;
        this.physicalAddress = 0;
        this.pageSize = 0;
        this.readable = this.writable = this.executable = this.userPage = this.smapDependent = false;
    }

    void nonCanonical(long linear) {
        pageFault(linear, 0);
        this.status = Status.NON_CANONICAL;
    }

    public Status status() {
        return status;
    }

    public boolean isOk() {
        return status == Status.OK;
    }

    /** The linear address walked (truncated to 32 bits outside long mode): CR2 for a fault. */
    public long linearAddress() {
        return linearAddress;
    }

    public long physicalAddress() {
        return physicalAddress;
    }

    /** Size of the page that maps the address: 4 KiB, 2 MiB, 4 MiB or 1 GiB (4 KiB with paging off). */
    public long pageSize() {
        return pageSize;
    }

    /** The #PF error code ({@link PageFault#PRESENT} ...) when {@link #status()} is {@code PAGE_FAULT}. */
    public int errorCode() {
        return errorCode;
    }

    /** Data reads are allowed at the walk's privilege level. */
    public boolean readable() {
        return readable;
    }

    /** Data writes are allowed at the walk's privilege level (R/W at every level, or CR0.WP=0 for supervisor). */
    public boolean writable() {
        return writable;
    }

    /** Instruction fetches are allowed at the walk's privilege level (XD clear, SMEP satisfied). */
    public boolean executable() {
        return executable;
    }

    /** U/S=1 at every level: a user-mode page. */
    public boolean userPage() {
        return userPage;
    }

    /**
     * The supervisor data permissions depend on EFLAGS.AC (a user page with CR4.SMAP=1). EFLAGS.AC changes without a
     * TLB flush, so such a translation must not be cached.
     */
    public boolean smapDependent() {
        return smapDependent;
    }
}
