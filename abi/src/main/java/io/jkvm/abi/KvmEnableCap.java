package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;
import static io.jkvm.abi.CTypes.u64;
import static io.jkvm.abi.CTypes.u8;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_enable_cap} (linux/kvm.h), the argument of {@code KVM_ENABLE_CAP} on a VM or vcpu: which
 * capability to turn on ({@code cap}, a {@link Capability} number) and its arguments, whose meaning each capability
 * defines. {@code flags} must be 0 for every x86 capability. The 64 {@code pad} bytes must stay zero.
 */
public final class KvmEnableCap {
    public static final StructLayout LAYOUT = struct("kvm_enable_cap",
            u32("cap"), u32("flags"), array("args", 4, u64("args")), array("pad", 64, u8("pad")));
    private static final VarHandle CAP = Layouts.handle(LAYOUT, "cap");
    private static final VarHandle FLAGS = Layouts.handle(LAYOUT, "flags");
    private static final VarHandle ARGS = Layouts.handle(LAYOUT, "args[]");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmEnableCap(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmEnableCap.class);
    }

    /** A zeroed {@code kvm_enable_cap} from {@code allocator}. */
    public static KvmEnableCap allocate(SegmentAllocator allocator) {
        return new KvmEnableCap(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int cap() {
        return (int) CAP.get(segment, 0L);
    }

    public KvmEnableCap cap(int v) {
        CAP.set(segment, 0L, v);
        return this;
    }

    public int flags() {
        return (int) FLAGS.get(segment, 0L);
    }

    public KvmEnableCap flags(int v) {
        FLAGS.set(segment, 0L, v);
        return this;
    }

    /** {@code args[i]}, {@code i} in 0..3. */
    public long args(int i) {
        return (long) ARGS.get(segment, 0L, (long) i);
    }

    public KvmEnableCap args(int i, long v) {
        ARGS.set(segment, 0L, (long) i, v);
        return this;
    }

    /** Sets {@code cap} to {@code capability.number()}. */
    public KvmEnableCap cap(Capability capability) {
        return cap(capability.number());
    }

    /** The capability {@code cap} names, or {@code null} if {@link Capability} does not know the number. */
    public Capability capability() {
        return Capability.of(cap());
    }
}
