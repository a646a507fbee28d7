package io.jkvm.mmu;

/**
 * An access in long mode to a linear address that is not canonical (bits 63:47 not all equal). The CPU raises
 * #GP(0) for it, or #SS(0) when the access goes through SS, before any page walk: it is never a #PF and CR2 is not
 * written, so it is reported with its own type. Like {@link PageFault} it is a stackless guest event and
 * {@link Mmu} throws one reusable instance per vcpu.
 */
public final class NonCanonicalAddressFault extends RuntimeException {
    private long linearAddress;

    public NonCanonicalAddressFault() {
        super(null, null, false, false);
    }

    public NonCanonicalAddressFault(long linearAddress) {
        this();
        this.linearAddress = linearAddress;
    }

    /** Reuses this instance; returns it so that the caller can {@code throw fault.set(...)}. */
    public NonCanonicalAddressFault set(long linearAddress) {
        this.linearAddress = linearAddress;
        return this;
    }

    public long linearAddress() {
        return linearAddress;
    }

    @Override
    public String getMessage() {
        return "non-canonical linear address 0x" + Long.toHexString(linearAddress)
                + ": the guest gets #GP(0) (or #SS(0) for a stack access), not #PF";
    }
}
