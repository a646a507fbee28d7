package io.jkvm.abi;

import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;
import static io.jkvm.abi.CTypes.u64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_debug_exit_arch} (asm/kvm.h): what a {@code KVM_EXIT_DEBUG} reports on x86, at
 * {@code kvm_run.debug.arch}; see {@link KvmRun#debug()}.
 */
public final class KvmDebugExitArch {
    public static final StructLayout LAYOUT = struct("kvm_debug_exit_arch",
            u32("exception"), u32("pad"), u64("pc"), u64("dr6"), u64("dr7"));
    private static final VarHandle EXCEPTION = Layouts.handle(LAYOUT, "exception");
    private static final VarHandle PAD = Layouts.handle(LAYOUT, "pad");
    private static final VarHandle PC = Layouts.handle(LAYOUT, "pc");
    private static final VarHandle DR6 = Layouts.handle(LAYOUT, "dr6");
    private static final VarHandle DR7 = Layouts.handle(LAYOUT, "dr7");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmDebugExitArch(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmDebugExitArch.class);
    }

    /** A zeroed {@code kvm_debug_exit_arch} from {@code allocator}. */
    public static KvmDebugExitArch allocate(SegmentAllocator allocator) {
        return new KvmDebugExitArch(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    /** {@link ExceptionVector#DB_VECTOR} (single step, hardware breakpoint) or {@link ExceptionVector#BP_VECTOR}. */
    public int exception() {
        return (int) EXCEPTION.get(segment, 0L);
    }

    public KvmDebugExitArch exception(int v) {
        EXCEPTION.set(segment, 0L, v);
        return this;
    }

    public int pad() {
        return (int) PAD.get(segment, 0L);
    }

    public KvmDebugExitArch pad(int v) {
        PAD.set(segment, 0L, v);
        return this;
    }

    /** The guest RIP (linear address) of the event. */
    public long pc() {
        return (long) PC.get(segment, 0L);
    }

    public KvmDebugExitArch pc(long v) {
        PC.set(segment, 0L, v);
        return this;
    }

    public long dr6() {
        return (long) DR6.get(segment, 0L);
    }

    public KvmDebugExitArch dr6(long v) {
        DR6.set(segment, 0L, v);
        return this;
    }

    public long dr7() {
        return (long) DR7.get(segment, 0L);
    }

    public KvmDebugExitArch dr7(long v) {
        DR7.set(segment, 0L, v);
        return this;
    }
}
