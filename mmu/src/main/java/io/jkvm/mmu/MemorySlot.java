package io.jkvm.mmu;

import java.lang.foreign.MemorySegment;

/**
 * One guest-physical RAM range and the caller-owned native memory behind it: KVM's {@code struct kvm_memory_slot}
 * as set by {@code KVM_SET_USER_MEMORY_REGION}.
 *
 * <p>Immutable: a flag change or a move creates a new {@code MemorySlot} (as KVM swaps in a new memslot), so a
 * vcpu holding a reference sees one consistent view, and lookups need no lock. The {@link DirtyLog} is the only
 * mutable part and is carried over to the replacement while dirty logging stays on, as in KVM.
 */
public final class MemorySlot {
    private final int id;
    private final int flags;
    private final long guestPhysAddr;
    private final long size;
    private final MemorySegment segment;
    private final long hostAddress;
    private final DirtyLog dirtyLog;

    MemorySlot(int id, int flags, long guestPhysAddr, long size, MemorySegment segment, DirtyLog dirtyLog) {
        this.id = id;
        this.flags = flags;
        this.guestPhysAddr = guestPhysAddr;
        this.size = size;
        this.segment = segment;
        this.hostAddress = segment.address();
        this.dirtyLog = dirtyLog;
    }

    /** The slot number (the low 16 bits of {@code kvm_userspace_memory_region.slot}). */
    public int id() {
        return id;
    }

    /** {@link GuestMemory#KVM_MEM_LOG_DIRTY_PAGES} and/or {@link GuestMemory#KVM_MEM_READONLY}. */
    public int flags() {
        return flags;
    }

    public long guestPhysAddr() {
        return guestPhysAddr;
    }

    /** Size in bytes, a multiple of 4096. */
    public long size() {
        return size;
    }

    /** One past the last guest-physical address of the slot. */
    public long guestPhysEnd() {
        return guestPhysAddr + size;
    }

    /** The caller's memory, sliced to exactly {@link #size()} bytes: offset 0 is {@link #guestPhysAddr()}. */
    public MemorySegment segment() {
        return segment;
    }

    /** The native address of the slot's first byte: KVM's {@code userspace_addr}. */
    public long hostAddress() {
        return hostAddress;
    }

    /** Writes by the guest exit to userspace as MMIO writes; reads and fetches are ordinary RAM. */
    public boolean readOnly() {
        return (flags & GuestMemory.KVM_MEM_READONLY) != 0;
    }

    public boolean logDirty() {
        return dirtyLog != null;
    }

    /** The dirty-page bitmap, or {@code null} when the slot does not log dirty pages. */
    public DirtyLog dirtyLog() {
        return dirtyLog;
    }

    /** Whether {@code gpa} falls inside this slot. */
    public boolean contains(long gpa) {
        return gpa - guestPhysAddr >= 0 && gpa - guestPhysAddr < size;
    }

    /** The native address of guest-physical {@code gpa}, which must be inside the slot. */
    public long hostAddressOf(long gpa) {
        return hostAddress + (gpa - guestPhysAddr);
    }

    /** Marks the page holding {@code gpa} dirty when the slot logs dirty pages; otherwise does nothing. */
    public void markDirty(long gpa) {
        DirtyLog log = dirtyLog;
        if (log != null) {
            log.markPage((gpa - guestPhysAddr) >>> GuestMemory.PAGE_SHIFT);
        }
    }

    @Override
    public String toString() {
        return "slot " + id + " [0x" + Long.toHexString(guestPhysAddr) + "-0x" + Long.toHexString(guestPhysEnd())
                + ") host 0x" + Long.toHexString(hostAddress) + (readOnly() ? " readonly" : "")
                + (logDirty() ? " log-dirty" : "");
    }
}
