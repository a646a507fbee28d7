package io.jkvm.abi;

import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;
import static io.jkvm.abi.CTypes.u64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_userspace_memory_region} (linux/kvm.h), the argument of {@code KVM_SET_USER_MEMORY_REGION}: maps
 * {@code memory_size} bytes of the VMM's memory at {@code userspace_addr} into guest-physical memory at
 * {@code guest_phys_addr} as slot {@code slot}. A {@code memory_size} of 0 deletes the slot. {@code slot} and
 * {@code flags} ({@link MemFlags}) are {@code __u32} returned as {@code int}; bits 16..31 of {@code slot} select the
 * address space ({@code KVM_CAP_MULTI_ADDRESS_SPACE}).
 */
public final class KvmUserspaceMemoryRegion {
    public static final StructLayout LAYOUT = struct("kvm_userspace_memory_region",
            u32("slot"), u32("flags"), u64("guest_phys_addr"), u64("memory_size"), u64("userspace_addr"));
    private static final VarHandle SLOT = Layouts.handle(LAYOUT, "slot");
    private static final VarHandle FLAGS = Layouts.handle(LAYOUT, "flags");
    private static final VarHandle GUEST_PHYS_ADDR = Layouts.handle(LAYOUT, "guest_phys_addr");
    private static final VarHandle MEMORY_SIZE = Layouts.handle(LAYOUT, "memory_size");
    private static final VarHandle USERSPACE_ADDR = Layouts.handle(LAYOUT, "userspace_addr");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmUserspaceMemoryRegion(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmUserspaceMemoryRegion.class);
    }

    /** A zeroed {@code kvm_userspace_memory_region} from {@code allocator}. */
    public static KvmUserspaceMemoryRegion allocate(SegmentAllocator allocator) {
        return new KvmUserspaceMemoryRegion(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int slot() {
        return (int) SLOT.get(segment, 0L);
    }

    public KvmUserspaceMemoryRegion slot(int v) {
        SLOT.set(segment, 0L, v);
        return this;
    }

    public int flags() {
        return (int) FLAGS.get(segment, 0L);
    }

    public KvmUserspaceMemoryRegion flags(int v) {
        FLAGS.set(segment, 0L, v);
        return this;
    }

    public long guestPhysAddr() {
        return (long) GUEST_PHYS_ADDR.get(segment, 0L);
    }

    public KvmUserspaceMemoryRegion guestPhysAddr(long v) {
        GUEST_PHYS_ADDR.set(segment, 0L, v);
        return this;
    }

    /** Size in bytes; a multiple of the page size. */
    public long memorySize() {
        return (long) MEMORY_SIZE.get(segment, 0L);
    }

    public KvmUserspaceMemoryRegion memorySize(long v) {
        MEMORY_SIZE.set(segment, 0L, v);
        return this;
    }

    /** Address of the backing memory in the VMM's address space; page aligned. */
    public long userspaceAddr() {
        return (long) USERSPACE_ADDR.get(segment, 0L);
    }

    public KvmUserspaceMemoryRegion userspaceAddr(long v) {
        USERSPACE_ADDR.set(segment, 0L, v);
        return this;
    }
}
