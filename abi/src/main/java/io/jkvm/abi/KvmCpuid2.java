package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_cpuid2} (asm/kvm.h), the argument of {@code KVM_GET_SUPPORTED_CPUID}, {@code KVM_SET_CPUID2} and
 * {@code KVM_GET_CPUID2}: a count and that many {@link KvmCpuidEntry2}. For the GET ioctls {@code nent} is the
 * capacity on the way in and the number filled on the way out; too small a capacity fails with {@code E2BIG}
 * (at most {@link KvmApi#KVM_MAX_CPUID_ENTRIES} is ever needed).
 */
public final class KvmCpuid2 {
    /** The fixed header: {@code entries} is a flexible array member, which {@code sizeof} does not count. */
    public static final StructLayout LAYOUT = struct("kvm_cpuid2",
            u32("nent"), u32("padding"), array("entries", 0, KvmCpuidEntry2.LAYOUT));
    private static final VarHandle NENT = Layouts.handle(LAYOUT, "nent");
    private static final VarHandle PADDING = Layouts.handle(LAYOUT, "padding");
    private static final long ENTRIES = Layouts.offset(LAYOUT, "entries");
    private static final long ELEMENT = KvmCpuidEntry2.LAYOUT.byteSize();

    private final MemorySegment segment;

    /**
     * A view of {@code segment}: the header plus as many whole elements as fit, which is {@link #capacity()}.
     * The segment must hold at least {@code LAYOUT.byteSize()} bytes.
     */
    public KvmCpuid2(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmCpuid2.class);
    }

    /** A zeroed {@code kvm_cpuid2} with room for no element. */
    public static KvmCpuid2 allocate(SegmentAllocator allocator) {
        return allocate(allocator, 0);
    }

    /** A zeroed {@code kvm_cpuid2} with room for {@code n} elements and {@code nent} set to {@code n}. */
    public static KvmCpuid2 allocate(SegmentAllocator allocator, int n) {
        return new KvmCpuid2(Layouts.zeroed(allocator, byteSize(n), LAYOUT)).nent(n);
    }

    /** Bytes of a {@code kvm_cpuid2} with {@code n} elements: what to allocate, and what KVM reads or writes. */
    public static long byteSize(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("kvm_cpuid2 cannot have " + n + " elements");
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

    /** How many entries follow (see the class comment for the GET ioctls). */
    public int nent() {
        return (int) NENT.get(segment, 0L);
    }

    /**
     * Sets {@code nent}; refuses more than {@link #capacity()}, since KVM would read or write past the segment.
     */
    public KvmCpuid2 nent(int v) {
        if (Integer.compareUnsigned(v, capacity()) > 0) {
            throw new IllegalArgumentException("kvm_cpuid2.nent = " + Integer.toUnsignedString(v)
                    + " but the segment has room for " + capacity()
                    + " elements; allocate with KvmCpuid2.allocate(allocator, n)");
        }
        NENT.set(segment, 0L, v);
        return this;
    }

    public int padding() {
        return (int) PADDING.get(segment, 0L);
    }

    public KvmCpuid2 padding(int v) {
        PADDING.set(segment, 0L, v);
        return this;
    }

    /**
     * {@code entries[i]} as a view sharing this memory; {@code i} must be below {@link #capacity()}, whatever the
     * count field says.
     */
    public KvmCpuidEntry2 entry(int i) {
        Layouts.index("kvm_cpuid2.entries", i, capacity());
        return new KvmCpuidEntry2(segment.asSlice(ENTRIES + i * ELEMENT, ELEMENT));
    }

    /**
     * The first of the {@code nent} entries for {@code function} whose {@code index} matches, or that ignores the
     * index (no {@link CpuidFlags#KVM_CPUID_FLAG_SIGNIFCANT_INDEX}); {@code null} if there is none. This is how KVM
     * itself looks a leaf up.
     */
    public KvmCpuidEntry2 find(int function, int index) {
        int n = Integer.compareUnsigned(nent(), capacity()) > 0 ? capacity() : nent();
        for (int i = 0; i < n; i++) {
            KvmCpuidEntry2 e = entry(i);
            if (e.function() == function
                    && ((e.flags() & CpuidFlags.KVM_CPUID_FLAG_SIGNIFCANT_INDEX) == 0 || e.index() == index)) {
                return e;
            }
        }
        return null;
    }
}
