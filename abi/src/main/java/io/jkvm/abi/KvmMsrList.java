package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_msr_list} (asm/kvm.h), the argument of {@code KVM_GET_MSR_INDEX_LIST} and
 * {@code KVM_GET_MSR_FEATURE_INDEX_LIST}: {@code nmsrs} is the capacity on the way in and the number of MSRs on the
 * way out; too small a capacity fails with {@code E2BIG} and still reports the number needed.
 * The indices are {@code __u32} MSR numbers returned as {@code int}.
 */
public final class KvmMsrList {
    /** The fixed header: {@code indices} is a flexible array member, which {@code sizeof} does not count. */
    public static final StructLayout LAYOUT = struct("kvm_msr_list",
            u32("nmsrs"), array("indices", 0, u32("indices")));
    private static final VarHandle NMSRS = Layouts.handle(LAYOUT, "nmsrs");
    private static final long INDICES = Layouts.offset(LAYOUT, "indices");
    private static final long ELEMENT = Integer.BYTES;

    private final MemorySegment segment;

    /**
     * A view of {@code segment}: the header plus as many whole elements as fit, which is {@link #capacity()}.
     * The segment must hold at least {@code LAYOUT.byteSize()} bytes.
     */
    public KvmMsrList(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmMsrList.class);
    }

    /** A zeroed {@code kvm_msr_list} with room for no element. */
    public static KvmMsrList allocate(SegmentAllocator allocator) {
        return allocate(allocator, 0);
    }

    /** A zeroed {@code kvm_msr_list} with room for {@code n} elements and {@code nmsrs} set to {@code n}. */
    public static KvmMsrList allocate(SegmentAllocator allocator, int n) {
        return new KvmMsrList(Layouts.zeroed(allocator, byteSize(n), LAYOUT)).nmsrs(n);
    }

    /** Bytes of a {@code kvm_msr_list} with {@code n} elements: what to allocate, and what KVM reads or writes. */
    public static long byteSize(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("kvm_msr_list cannot have " + n + " elements");
        }
        return INDICES + n * ELEMENT;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** How many elements the underlying segment has room for. */
    public int capacity() {
        return (int) Math.min(Integer.MAX_VALUE, (segment.byteSize() - INDICES) / ELEMENT);
    }

    /** The capacity (in) or MSR count (out). */
    public int nmsrs() {
        return (int) NMSRS.get(segment, 0L);
    }

    /**
     * Sets {@code nmsrs}; refuses more than {@link #capacity()}, since KVM would read or write past the segment.
     */
    public KvmMsrList nmsrs(int v) {
        if (Integer.compareUnsigned(v, capacity()) > 0) {
            throw new IllegalArgumentException("kvm_msr_list.nmsrs = " + Integer.toUnsignedString(v)
                    + " but the segment has room for " + capacity()
                    + " elements; allocate with KvmMsrList.allocate(allocator, n)");
        }
        NMSRS.set(segment, 0L, v);
        return this;
    }

    /** {@code indices[i]}, {@code i} below {@link #capacity()}. */
    public int indices(int i) {
        Layouts.index("kvm_msr_list.indices", i, capacity());
        return segment.get(JAVA_INT, INDICES + i * ELEMENT);
    }

    public KvmMsrList indices(int i, int v) {
        Layouts.index("kvm_msr_list.indices", i, capacity());
        segment.set(JAVA_INT, INDICES + i * ELEMENT, v);
        return this;
    }
}
