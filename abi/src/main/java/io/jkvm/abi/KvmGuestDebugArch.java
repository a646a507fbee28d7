package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_guest_debug_arch} (asm/kvm.h): the x86 debug registers DR0..DR7 that userspace owns while
 * {@link GuestDebugFlags#KVM_GUESTDBG_USE_HW_BP} is set. DR4 and DR5 are unused, as in hardware.
 */
public final class KvmGuestDebugArch {
    public static final StructLayout LAYOUT = struct("kvm_guest_debug_arch",
            array("debugreg", 8, u64("debugreg")));
    private static final VarHandle DEBUGREG = Layouts.handle(LAYOUT, "debugreg[]");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmGuestDebugArch(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmGuestDebugArch.class);
    }

    /** A zeroed {@code kvm_guest_debug_arch} from {@code allocator}. */
    public static KvmGuestDebugArch allocate(SegmentAllocator allocator) {
        return new KvmGuestDebugArch(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    /** {@code debugreg[i]} is DR{@code i}, {@code i} in 0..7. */
    public long debugreg(int i) {
        return (long) DEBUGREG.get(segment, 0L, (long) i);
    }

    public KvmGuestDebugArch debugreg(int i, long v) {
        DEBUGREG.set(segment, 0L, (long) i, v);
        return this;
    }
}
