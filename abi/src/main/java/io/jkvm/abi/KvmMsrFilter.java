package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.gap;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_msr_filter} (asm/kvm.h), the argument of {@code KVM_X86_SET_MSR_FILTER}: up to
 * {@link KvmApi#KVM_MSR_FILTER_MAX_RANGES} ranges, used in order up to the first with {@code flags == 0}, and the
 * default action ({@code flags}: {@link MsrFilterFlags#KVM_MSR_FILTER_DEFAULT_ALLOW} or
 * {@link MsrFilterFlags#KVM_MSR_FILTER_DEFAULT_DENY}) for MSRs no range covers.
 */
public final class KvmMsrFilter {
    public static final StructLayout LAYOUT = struct("kvm_msr_filter",
            u32("flags"), gap(4), array("ranges", KvmApi.KVM_MSR_FILTER_MAX_RANGES, KvmMsrFilterRange.LAYOUT));
    private static final VarHandle FLAGS = Layouts.handle(LAYOUT, "flags");
    private static final long RANGES = Layouts.offset(LAYOUT, "ranges");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmMsrFilter(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmMsrFilter.class);
    }

    /** A zeroed {@code kvm_msr_filter} from {@code allocator}. */
    public static KvmMsrFilter allocate(SegmentAllocator allocator) {
        return new KvmMsrFilter(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int flags() {
        return (int) FLAGS.get(segment, 0L);
    }

    public KvmMsrFilter flags(int v) {
        FLAGS.set(segment, 0L, v);
        return this;
    }

    /** {@code ranges[i]}, {@code i} in 0..15, as a view sharing this memory. */
    public KvmMsrFilterRange ranges(int i) {
        Layouts.index("kvm_msr_filter.ranges", i, KvmApi.KVM_MSR_FILTER_MAX_RANGES);
        long size = KvmMsrFilterRange.LAYOUT.byteSize();
        return new KvmMsrFilterRange(segment.asSlice(RANGES + i * size, size));
    }
}
