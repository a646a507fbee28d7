package io.jkvm.abi;

import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_guest_debug} (linux/kvm.h), the argument of {@code KVM_SET_GUEST_DEBUG}: {@code control} holds
 * {@link GuestDebugFlags} bits, {@code arch} the debug registers used with
 * {@link GuestDebugFlags#KVM_GUESTDBG_USE_HW_BP}.
 */
public final class KvmGuestDebug {
    public static final StructLayout LAYOUT = struct("kvm_guest_debug",
            u32("control"), u32("pad"), KvmGuestDebugArch.LAYOUT.withName("arch"));
    private static final VarHandle CONTROL = Layouts.handle(LAYOUT, "control");
    private static final VarHandle PAD = Layouts.handle(LAYOUT, "pad");
    private static final long ARCH = Layouts.offset(LAYOUT, "arch");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmGuestDebug(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmGuestDebug.class);
    }

    /** A zeroed {@code kvm_guest_debug} from {@code allocator}. */
    public static KvmGuestDebug allocate(SegmentAllocator allocator) {
        return new KvmGuestDebug(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int control() {
        return (int) CONTROL.get(segment, 0L);
    }

    public KvmGuestDebug control(int v) {
        CONTROL.set(segment, 0L, v);
        return this;
    }

    public int pad() {
        return (int) PAD.get(segment, 0L);
    }

    public KvmGuestDebug pad(int v) {
        PAD.set(segment, 0L, v);
        return this;
    }

    /** The {@code arch} member, a view sharing this memory. */
    public KvmGuestDebugArch arch() {
        return new KvmGuestDebugArch(segment.asSlice(ARCH, KvmGuestDebugArch.LAYOUT));
    }
}
