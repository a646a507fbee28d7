package io.jkvm.abi;

import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_interrupt} (linux/kvm.h), the argument of {@code KVM_INTERRUPT}: the vector to inject when there
 * is no in-kernel irqchip. Only valid when {@code kvm_run.ready_for_interrupt_injection} is set.
 */
public final class KvmInterrupt {
    public static final StructLayout LAYOUT = struct("kvm_interrupt",
            u32("irq"));
    private static final VarHandle IRQ = Layouts.handle(LAYOUT, "irq");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmInterrupt(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmInterrupt.class);
    }

    /** A zeroed {@code kvm_interrupt} from {@code allocator}. */
    public static KvmInterrupt allocate(SegmentAllocator allocator) {
        return new KvmInterrupt(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    /** The interrupt vector, 0..255. */
    public int irq() {
        return (int) IRQ.get(segment, 0L);
    }

    public KvmInterrupt irq(int v) {
        IRQ.set(segment, 0L, v);
        return this;
    }
}
