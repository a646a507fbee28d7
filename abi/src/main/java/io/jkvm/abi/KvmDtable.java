package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u16;
import static io.jkvm.abi.CTypes.u64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_dtable} (asm/kvm.h): a descriptor-table register (GDTR or IDTR) as base and limit. The limit is
 * the 16-bit value LGDT/LIDT load, i.e. the table size minus one.
 */
public final class KvmDtable {
    public static final StructLayout LAYOUT = struct("kvm_dtable",
            u64("base"), u16("limit"), array("padding", 3, u16("padding")));
    private static final VarHandle BASE = Layouts.handle(LAYOUT, "base");
    private static final VarHandle LIMIT = Layouts.handle(LAYOUT, "limit");
    private static final VarHandle PADDING = Layouts.handle(LAYOUT, "padding[]");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmDtable(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmDtable.class);
    }

    /** A zeroed {@code kvm_dtable} from {@code allocator}. */
    public static KvmDtable allocate(SegmentAllocator allocator) {
        return new KvmDtable(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public long base() {
        return (long) BASE.get(segment, 0L);
    }

    public KvmDtable base(long v) {
        BASE.set(segment, 0L, v);
        return this;
    }

    public int limit() {
        return Short.toUnsignedInt((short) LIMIT.get(segment, 0L));
    }

    public KvmDtable limit(int v) {
        LIMIT.set(segment, 0L, Layouts.checkU16("kvm_dtable.limit", v));
        return this;
    }

    /** {@code padding[i]}, {@code i} in 0..2. */
    public int padding(int i) {
        return Short.toUnsignedInt((short) PADDING.get(segment, 0L, (long) i));
    }

    public KvmDtable padding(int i, int v) {
        PADDING.set(segment, 0L, (long) i, Layouts.checkU16("kvm_dtable.padding", v));
        return this;
    }

    @Override
    public String toString() {
        return "kvm_dtable{base=0x" + Long.toHexString(base()) + " limit=0x" + Integer.toHexString(limit()) + "}";
    }
}
