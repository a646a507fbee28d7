package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u64;
import static io.jkvm.abi.CTypes.u8;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_translation} (linux/kvm.h), the argument of {@code KVM_TRANSLATE}: the caller sets
 * {@code linear_address}; KVM walks the vcpu's current page tables and fills in the rest. {@code valid},
 * {@code writeable} and {@code usermode} are 0 or 1.
 */
public final class KvmTranslation {
    public static final StructLayout LAYOUT = struct("kvm_translation",
            u64("linear_address"), u64("physical_address"), u8("valid"), u8("writeable"), u8("usermode"),
            array("pad", 5, u8("pad")));
    private static final VarHandle LINEAR_ADDRESS = Layouts.handle(LAYOUT, "linear_address");
    private static final VarHandle PHYSICAL_ADDRESS = Layouts.handle(LAYOUT, "physical_address");
    private static final VarHandle VALID = Layouts.handle(LAYOUT, "valid");
    private static final VarHandle WRITEABLE = Layouts.handle(LAYOUT, "writeable");
    private static final VarHandle USERMODE = Layouts.handle(LAYOUT, "usermode");
    private static final VarHandle PAD = Layouts.handle(LAYOUT, "pad[]");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmTranslation(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmTranslation.class);
    }

    /** A zeroed {@code kvm_translation} from {@code allocator}. */
    public static KvmTranslation allocate(SegmentAllocator allocator) {
        return new KvmTranslation(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    /** In: the guest-virtual (linear) address to translate. */
    public long linearAddress() {
        return (long) LINEAR_ADDRESS.get(segment, 0L);
    }

    public KvmTranslation linearAddress(long v) {
        LINEAR_ADDRESS.set(segment, 0L, v);
        return this;
    }

    /** Out: the guest-physical address. */
    public long physicalAddress() {
        return (long) PHYSICAL_ADDRESS.get(segment, 0L);
    }

    public KvmTranslation physicalAddress(long v) {
        PHYSICAL_ADDRESS.set(segment, 0L, v);
        return this;
    }

    public int valid() {
        return Byte.toUnsignedInt((byte) VALID.get(segment, 0L));
    }

    public KvmTranslation valid(int v) {
        VALID.set(segment, 0L, Layouts.checkU8("kvm_translation.valid", v));
        return this;
    }

    public int writeable() {
        return Byte.toUnsignedInt((byte) WRITEABLE.get(segment, 0L));
    }

    public KvmTranslation writeable(int v) {
        WRITEABLE.set(segment, 0L, Layouts.checkU8("kvm_translation.writeable", v));
        return this;
    }

    public int usermode() {
        return Byte.toUnsignedInt((byte) USERMODE.get(segment, 0L));
    }

    public KvmTranslation usermode(int v) {
        USERMODE.set(segment, 0L, Layouts.checkU8("kvm_translation.usermode", v));
        return this;
    }

    /** {@code pad[i]}, {@code i} in 0..4. */
    public int pad(int i) {
        return Byte.toUnsignedInt((byte) PAD.get(segment, 0L, (long) i));
    }

    public KvmTranslation pad(int i, int v) {
        PAD.set(segment, 0L, (long) i, Layouts.checkU8("kvm_translation.pad", v));
        return this;
    }
}
