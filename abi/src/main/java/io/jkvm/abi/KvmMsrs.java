package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_msrs} (asm/kvm.h), the argument of {@code KVM_GET_MSRS}/{@code KVM_SET_MSRS}: a count and that
 * many {@link KvmMsrEntry}. The ioctls return how many entries they processed; a short count names the first MSR
 * KVM refused.
 */
public final class KvmMsrs {
    /** The fixed header: {@code entries} is a flexible array member, which {@code sizeof} does not count. */
    public static final StructLayout LAYOUT = struct("kvm_msrs",
            u32("nmsrs"), u32("pad"), array("entries", 0, KvmMsrEntry.LAYOUT));
    private static final VarHandle NMSRS = Layouts.handle(LAYOUT, "nmsrs");
    private static final VarHandle PAD = Layouts.handle(LAYOUT, "pad");
    private static final long ENTRIES = Layouts.offset(LAYOUT, "entries");
    private static final long ELEMENT = KvmMsrEntry.LAYOUT.byteSize();

    private final MemorySegment segment;

    /**
     * A view of {@code segment}: the header plus as many whole elements as fit, which is {@link #capacity()}.
     * The segment must hold at least {@code LAYOUT.byteSize()} bytes.
     */
    public KvmMsrs(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmMsrs.class);
    }

    /** A zeroed {@code kvm_msrs} with room for no element. */
    public static KvmMsrs allocate(SegmentAllocator allocator) {
        return allocate(allocator, 0);
    }

    /** A zeroed {@code kvm_msrs} with room for {@code n} elements and {@code nmsrs} set to {@code n}. */
    public static KvmMsrs allocate(SegmentAllocator allocator, int n) {
        return new KvmMsrs(Layouts.zeroed(allocator, byteSize(n), LAYOUT)).nmsrs(n);
    }

    /** Bytes of a {@code kvm_msrs} with {@code n} elements: what to allocate, and what KVM reads or writes. */
    public static long byteSize(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("kvm_msrs cannot have " + n + " elements");
        }
        return ENTRIES + n * ELEMENT;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** How many elements the underlying segment has room for. */
    public int capacity() {
        return (int) Math.min(Integer.MAX_VALUE, (segment.byteSize() - ENTRIES) / ELEMENT);
    }

    /** How many entries the ioctl reads or writes. */
    public int nmsrs() {
        return (int) NMSRS.get(segment, 0L);
    }

    /**
     * Sets {@code nmsrs}; refuses more than {@link #capacity()}, since KVM would read or write past the segment.
     */
    public KvmMsrs nmsrs(int v) {
        if (Integer.compareUnsigned(v, capacity()) > 0) {
            throw new IllegalArgumentException("kvm_msrs.nmsrs = " + Integer.toUnsignedString(v)
                    + " but the segment has room for " + capacity()
                    + " elements; allocate with KvmMsrs.allocate(allocator, n)");
        }
        NMSRS.set(segment, 0L, v);
        return this;
    }

    public int pad() {
        return (int) PAD.get(segment, 0L);
    }

    public KvmMsrs pad(int v) {
        PAD.set(segment, 0L, v);
        return this;
    }

    /**
     * {@code entries[i]} as a view sharing this memory; {@code i} must be below {@link #capacity()}, whatever the
     * count field says.
     */
    public KvmMsrEntry entry(int i) {
        Layouts.index("kvm_msrs.entries", i, capacity());
        return new KvmMsrEntry(segment.asSlice(ENTRIES + i * ELEMENT, ELEMENT));
    }
}
