package io.jkvm.abi;

import static io.jkvm.abi.CTypes.gap;
import static io.jkvm.abi.CTypes.pointer;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_msr_filter_range} (asm/kvm.h): one range of a {@link KvmMsrFilter}. MSRs {@code base} to
 * {@code base + nmsrs - 1} are covered by {@code bitmap}, one bit per MSR (bit {@code i % 8} of byte {@code i / 8}
 * for MSR {@code base + i}); a set bit allows the accesses in {@code flags} ({@link MsrFilterFlags}). A range with
 * {@code flags == 0} ends the list.
 */
public final class KvmMsrFilterRange {
    public static final StructLayout LAYOUT = struct("kvm_msr_filter_range",
            u32("flags"), u32("nmsrs"), u32("base"), gap(4), pointer("bitmap"));
    private static final VarHandle BITMAP = Layouts.handle(LAYOUT, "bitmap");
    private static final VarHandle FLAGS = Layouts.handle(LAYOUT, "flags");
    private static final VarHandle NMSRS = Layouts.handle(LAYOUT, "nmsrs");
    private static final VarHandle BASE = Layouts.handle(LAYOUT, "base");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmMsrFilterRange(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmMsrFilterRange.class);
    }

    /** A zeroed {@code kvm_msr_filter_range} from {@code allocator}. */
    public static KvmMsrFilterRange allocate(SegmentAllocator allocator) {
        return new KvmMsrFilterRange(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int flags() {
        return (int) FLAGS.get(segment, 0L);
    }

    public KvmMsrFilterRange flags(int v) {
        FLAGS.set(segment, 0L, v);
        return this;
    }

    public int nmsrs() {
        return (int) NMSRS.get(segment, 0L);
    }

    public KvmMsrFilterRange nmsrs(int v) {
        NMSRS.set(segment, 0L, v);
        return this;
    }

    /** The first MSR number the bitmap covers (a {@code __u32}; widen with {@link Integer#toUnsignedLong}). */
    public int base() {
        return (int) BASE.get(segment, 0L);
    }

    public KvmMsrFilterRange base(int v) {
        BASE.set(segment, 0L, v);
        return this;
    }

    /** The {@code bitmap} pointer as an address. */
    public long bitmap() {
        return ((MemorySegment) BITMAP.get(segment, 0L)).address();
    }

    public KvmMsrFilterRange bitmap(long address) {
        BITMAP.set(segment, 0L, MemorySegment.ofAddress(address));
        return this;
    }

    /** Points {@code bitmap} at native memory holding at least {@code (nmsrs + 7) / 8} bytes. */
    public KvmMsrFilterRange bitmap(MemorySegment bitmap) {
        if (!bitmap.isNative()) {
            throw new IllegalArgumentException("kvm_msr_filter_range.bitmap must point at native memory (KVM reads "
                    + "it through a pointer); allocate the bitmap from an Arena, not a Java array");
        }
        return bitmap(bitmap.address());
    }
}
