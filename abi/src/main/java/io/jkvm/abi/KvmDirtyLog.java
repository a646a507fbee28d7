package io.jkvm.abi;

import static io.jkvm.abi.CTypes.anonymousUnion;
import static io.jkvm.abi.CTypes.pointer;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;
import static io.jkvm.abi.CTypes.u64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_dirty_log} (linux/kvm.h), the argument of {@code KVM_GET_DIRTY_LOG}: KVM copies the dirty bitmap
 * of slot {@code slot} (bits 16..31: address space) into the caller's buffer at {@code dirty_bitmap} and, unless
 * {@code KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2} is enabled, clears and re-protects it.
 */
public final class KvmDirtyLog {
    public static final StructLayout LAYOUT = struct("kvm_dirty_log",
            u32("slot"), u32("padding1"),
            anonymousUnion(pointer("dirty_bitmap"), u64("padding2")));
    private static final VarHandle PADDING2 = Layouts.handle(LAYOUT, "padding2");
    private static final VarHandle SLOT = Layouts.handle(LAYOUT, "slot");
    private static final VarHandle PADDING1 = Layouts.handle(LAYOUT, "padding1");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmDirtyLog(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmDirtyLog.class);
    }

    /** A zeroed {@code kvm_dirty_log} from {@code allocator}. */
    public static KvmDirtyLog allocate(SegmentAllocator allocator) {
        return new KvmDirtyLog(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int slot() {
        return (int) SLOT.get(segment, 0L);
    }

    public KvmDirtyLog slot(int v) {
        SLOT.set(segment, 0L, v);
        return this;
    }

    public int padding1() {
        return (int) PADDING1.get(segment, 0L);
    }

    public KvmDirtyLog padding1(int v) {
        PADDING1.set(segment, 0L, v);
        return this;
    }

    /**
     * The {@code dirty_bitmap} pointer as an address: one bit per page of the slot, bit {@code n % 64} of the
     * {@code n / 64}-th little-endian {@code u64} for page {@code n}. Read through {@code padding2}, the
     * {@code __u64} C overlays on the pointer so that the struct has the same layout for 32-bit userspace.
     */
    public long dirtyBitmap() {
        return (long) PADDING2.get(segment, 0L);
    }

    public KvmDirtyLog dirtyBitmap(long address) {
        PADDING2.set(segment, 0L, address);
        return this;
    }

    /** Points {@code dirty_bitmap} at native memory, which must hold one bit per page of the range. */
    public KvmDirtyLog dirtyBitmap(MemorySegment bitmap) {
        if (!bitmap.isNative()) {
            throw new IllegalArgumentException("dirty_bitmap must point at native memory (KVM writes it through a "
                    + "pointer); allocate the bitmap from an Arena, not a Java array");
        }
        return dirtyBitmap(bitmap.address());
    }
}
