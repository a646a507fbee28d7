package io.jkvm.mmu;

/**
 * A guest page fault (#PF, vector 14): the faulting linear address (what the CPU puts in CR2) and the error code
 * the CPU pushes. It is a guest event, not a host error, and it is thrown on hot paths, so it is stackless (no
 * stack trace is captured and no suppressed exceptions are kept) and {@link Mmu} throws one reusable instance per
 * vcpu: catch it, copy {@link #linearAddress()} and {@link #errorCode()} out, and do not keep the object.
 */
public final class PageFault extends RuntimeException {
    /** Error code bit 0 (P): 0 = the page was not present, 1 = a protection or reserved-bit violation. */
    public static final int PRESENT = 1;
    /** Error code bit 1 (W/R): the access was a write. */
    public static final int WRITE = 1 << 1;
    /** Error code bit 2 (U/S): the access was a user-mode (CPL 3) access. */
    public static final int USER = 1 << 2;
    /** Error code bit 3 (RSVD): a reserved bit was set in some paging-structure entry. */
    public static final int RSVD = 1 << 3;
    /** Error code bit 4 (I/D): an instruction fetch, reported only with CR4.SMEP=1 or with PAE/4-level paging and EFER.NXE=1. */
    public static final int FETCH = 1 << 4;

    private long linearAddress;
    private int errorCode;

    /** An empty instance meant to be {@link #set set} and thrown again and again by one vcpu. */
    public PageFault() {
        super(null, null, false, false);
    }

    public PageFault(long linearAddress, int errorCode) {
        this();
        set(linearAddress, errorCode);
    }

    /** Reuses this instance for a new fault; returns it so that the caller can {@code throw fault.set(...)}. */
    public PageFault set(long linearAddress, int errorCode) {
        this.linearAddress = linearAddress;
        this.errorCode = errorCode;
        return this;
    }

    /** The linear address whose translation failed: the value the CPU loads into CR2. */
    public long linearAddress() {
        return linearAddress;
    }

    /** The error code pushed on the exception stack: {@link #PRESENT}, {@link #WRITE}, {@link #USER}, {@link #RSVD}, {@link #FETCH}. */
    public int errorCode() {
        return errorCode;
    }

    @Override
    public String getMessage() {
        return "#PF at linear address 0x" + Long.toHexString(linearAddress) + ", error code 0x"
                + Integer.toHexString(errorCode) + " (" + describe(errorCode) + ")";
    }

    /** The error code spelled out, e.g. {@code "protection, write, user"}. */
    public static String describe(int errorCode) {
        StringBuilder sb = new StringBuilder((errorCode & PRESENT) != 0 ? "protection" : "not present");
        sb.append((errorCode & WRITE) != 0 ? ", write" : ", read");
        sb.append((errorCode & USER) != 0 ? ", user" : ", supervisor");
        if ((errorCode & RSVD) != 0) {
            sb.append(", reserved bit");
        }
        if ((errorCode & FETCH) != 0) {
            sb.append(", instruction fetch");
        }
        return sb.toString();
    }
}
