package io.jkvm.abi;

import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_mp_state} (linux/kvm.h), the argument of {@code KVM_GET_MP_STATE}/{@code KVM_SET_MP_STATE}: the
 * vcpu's multiprocessing state, one of {@link MpState}.
 */
public final class KvmMpState {
    public static final StructLayout LAYOUT = struct("kvm_mp_state",
            u32("mp_state"));
    private static final VarHandle MP_STATE = Layouts.handle(LAYOUT, "mp_state");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmMpState(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmMpState.class);
    }

    /** A zeroed {@code kvm_mp_state} from {@code allocator}. */
    public static KvmMpState allocate(SegmentAllocator allocator) {
        return new KvmMpState(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int mpState() {
        return (int) MP_STATE.get(segment, 0L);
    }

    public KvmMpState mpState(int v) {
        MP_STATE.set(segment, 0L, v);
        return this;
    }
}
