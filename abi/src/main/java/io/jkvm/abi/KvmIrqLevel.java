package io.jkvm.abi;

import static io.jkvm.abi.CTypes.anonymousUnion;
import static io.jkvm.abi.CTypes.s32;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_irq_level} (linux/kvm.h), the argument of {@code KVM_IRQ_LINE} with an in-kernel irqchip: drive
 * interrupt line {@code irq} (a GSI: 0..15 reach the PICs, 0..23 the IOAPIC) to {@code level} (0 or 1).
 * {@code KVM_IRQ_LINE_STATUS} overwrites the same four bytes with {@code status}, a signed result.
 */
public final class KvmIrqLevel {
    public static final StructLayout LAYOUT = struct("kvm_irq_level",
            anonymousUnion(u32("irq"), s32("status")), u32("level"));
    private static final VarHandle IRQ = Layouts.handle(LAYOUT, "irq");
    private static final VarHandle STATUS = Layouts.handle(LAYOUT, "status");
    private static final VarHandle LEVEL = Layouts.handle(LAYOUT, "level");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmIrqLevel(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmIrqLevel.class);
    }

    /** A zeroed {@code kvm_irq_level} from {@code allocator}. */
    public static KvmIrqLevel allocate(SegmentAllocator allocator) {
        return new KvmIrqLevel(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int irq() {
        return (int) IRQ.get(segment, 0L);
    }

    public KvmIrqLevel irq(int v) {
        IRQ.set(segment, 0L, v);
        return this;
    }

    /** Out of {@code KVM_IRQ_LINE_STATUS}, in the bytes of {@code irq}: &gt;0 delivered, 0 coalesced, &lt;0 masked. */
    public int status() {
        return (int) STATUS.get(segment, 0L);
    }

    public KvmIrqLevel status(int v) {
        STATUS.set(segment, 0L, v);
        return this;
    }

    public int level() {
        return (int) LEVEL.get(segment, 0L);
    }

    public KvmIrqLevel level(int v) {
        LEVEL.set(segment, 0L, v);
        return this;
    }
}
