package io.jkvm.mmu;

/**
 * A host-side access through {@link GuestMemory}'s physical-address helpers that no RAM slot can serve: the range
 * is (partly) outside every slot, or a write on the guest's behalf targets a {@code KVM_MEM_READONLY} slot. These
 * helpers are for loaders, devices and tests, which should know where RAM is; the guest's own accesses to such
 * addresses are MMIO and never reach these helpers.
 */
public final class MemoryAccessException extends RuntimeException {
    private final long guestPhysAddr;
    private final long length;

    public MemoryAccessException(long guestPhysAddr, long length, String detail) {
        super(detail);
        this.guestPhysAddr = guestPhysAddr;
        this.length = length;
    }

    /** The first guest-physical address of the failed access. */
    public long guestPhysAddr() {
        return guestPhysAddr;
    }

    public long length() {
        return length;
    }
}
