package io.jkvm.abi;

import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;
import static io.jkvm.abi.CTypes.u64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_msr_entry} (asm/kvm.h): one MSR of a {@code KVM_GET_MSRS}/{@code KVM_SET_MSRS} request.
 * {@code index} is a {@code __u32} MSR number returned as {@code int} (e.g. {@code 0xC0000080} for EFER is
 * negative as an int): compare with int literals, or widen with {@link Integer#toUnsignedLong}.
 */
public final class KvmMsrEntry {
    public static final StructLayout LAYOUT = struct("kvm_msr_entry",
            u32("index"), u32("reserved"), u64("data"));
    private static final VarHandle INDEX = Layouts.handle(LAYOUT, "index");
    private static final VarHandle RESERVED = Layouts.handle(LAYOUT, "reserved");
    private static final VarHandle DATA = Layouts.handle(LAYOUT, "data");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmMsrEntry(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmMsrEntry.class);
    }

    /** A zeroed {@code kvm_msr_entry} from {@code allocator}. */
    public static KvmMsrEntry allocate(SegmentAllocator allocator) {
        return new KvmMsrEntry(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    /** The MSR number, as in ECX of RDMSR. */
    public int index() {
        return (int) INDEX.get(segment, 0L);
    }

    public KvmMsrEntry index(int v) {
        INDEX.set(segment, 0L, v);
        return this;
    }

    public int reserved() {
        return (int) RESERVED.get(segment, 0L);
    }

    public KvmMsrEntry reserved(int v) {
        RESERVED.set(segment, 0L, v);
        return this;
    }

    public long data() {
        return (long) DATA.get(segment, 0L);
    }

    public KvmMsrEntry data(long v) {
        DATA.set(segment, 0L, v);
        return this;
    }
}
