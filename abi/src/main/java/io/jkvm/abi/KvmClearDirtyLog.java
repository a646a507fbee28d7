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
 * {@code struct kvm_clear_dirty_log} (linux/kvm.h), the argument of {@code KVM_CLEAR_DIRTY_LOG}
 * ({@code KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2}): re-protect the pages of slot {@code slot} whose bits are set in
 * {@code dirty_bitmap}, for pages {@code first_page} to {@code first_page + num_pages - 1}. {@code first_page} must be
 * a multiple of 64, and {@code num_pages} too unless the range ends at the end of the slot; bit 0 of the bitmap is
 * {@code first_page}.
 */
public final class KvmClearDirtyLog {
    public static final StructLayout LAYOUT = struct("kvm_clear_dirty_log",
            u32("slot"), u32("num_pages"), u64("first_page"),
            anonymousUnion(pointer("dirty_bitmap"), u64("padding2")));
    private static final VarHandle PADDING2 = Layouts.handle(LAYOUT, "padding2");
    private static final VarHandle SLOT = Layouts.handle(LAYOUT, "slot");
    private static final VarHandle NUM_PAGES = Layouts.handle(LAYOUT, "num_pages");
    private static final VarHandle FIRST_PAGE = Layouts.handle(LAYOUT, "first_page");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmClearDirtyLog(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmClearDirtyLog.class);
    }

    /** A zeroed {@code kvm_clear_dirty_log} from {@code allocator}. */
    public static KvmClearDirtyLog allocate(SegmentAllocator allocator) {
        return new KvmClearDirtyLog(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int slot() {
        return (int) SLOT.get(segment, 0L);
    }

    public KvmClearDirtyLog slot(int v) {
        SLOT.set(segment, 0L, v);
        return this;
    }

    public int numPages() {
        return (int) NUM_PAGES.get(segment, 0L);
    }

    public KvmClearDirtyLog numPages(int v) {
        NUM_PAGES.set(segment, 0L, v);
        return this;
    }

    public long firstPage() {
        return (long) FIRST_PAGE.get(segment, 0L);
    }

    public KvmClearDirtyLog firstPage(long v) {
        FIRST_PAGE.set(segment, 0L, v);
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

    public KvmClearDirtyLog dirtyBitmap(long address) {
        PADDING2.set(segment, 0L, address);
        return this;
    }

    /** Points {@code dirty_bitmap} at native memory, which must hold one bit per page of the range. */
    public KvmClearDirtyLog dirtyBitmap(MemorySegment bitmap) {
        if (!bitmap.isNative()) {
            throw new IllegalArgumentException("dirty_bitmap must point at native memory (KVM writes it through a "
                    + "pointer); allocate the bitmap from an Arena, not a Java array");
        }
        return dirtyBitmap(bitmap.address());
    }
}
