package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_sregs} (asm/kvm.h): segment and system registers, as read by {@code KVM_GET_SREGS} and written
 * by {@code KVM_SET_SREGS}. Segment and descriptor-table members are returned as views sharing this memory:
 * {@code sregs.cs().selector(0x08)} writes into the {@code kvm_sregs}.
 *
 * <p>{@code interrupt_bitmap} has one bit per vector ({@link KvmApi#KVM_NR_INTERRUPTS}); KVM reports at most one
 * pending external interrupt in it and accepts at most one on {@code KVM_SET_SREGS}.
 */
public final class KvmSregs {
    /** Words in {@code interrupt_bitmap}: {@code (KVM_NR_INTERRUPTS + 63) / 64}. */
    public static final int INTERRUPT_BITMAP_WORDS = (KvmApi.KVM_NR_INTERRUPTS + 63) / 64;

    public static final StructLayout LAYOUT = struct("kvm_sregs",
            KvmSegment.LAYOUT.withName("cs"), KvmSegment.LAYOUT.withName("ds"), KvmSegment.LAYOUT.withName("es"),
            KvmSegment.LAYOUT.withName("fs"), KvmSegment.LAYOUT.withName("gs"), KvmSegment.LAYOUT.withName("ss"),
            KvmSegment.LAYOUT.withName("tr"), KvmSegment.LAYOUT.withName("ldt"),
            KvmDtable.LAYOUT.withName("gdt"), KvmDtable.LAYOUT.withName("idt"),
            u64("cr0"), u64("cr2"), u64("cr3"), u64("cr4"), u64("cr8"), u64("efer"), u64("apic_base"),
            array("interrupt_bitmap", INTERRUPT_BITMAP_WORDS, u64("interrupt_bitmap")));
    private static final long CS = Layouts.offset(LAYOUT, "cs");
    private static final long DS = Layouts.offset(LAYOUT, "ds");
    private static final long ES = Layouts.offset(LAYOUT, "es");
    private static final long FS = Layouts.offset(LAYOUT, "fs");
    private static final long GS = Layouts.offset(LAYOUT, "gs");
    private static final long SS = Layouts.offset(LAYOUT, "ss");
    private static final long TR = Layouts.offset(LAYOUT, "tr");
    private static final long LDT = Layouts.offset(LAYOUT, "ldt");
    private static final long GDT = Layouts.offset(LAYOUT, "gdt");
    private static final long IDT = Layouts.offset(LAYOUT, "idt");
    private static final VarHandle CR0 = Layouts.handle(LAYOUT, "cr0");
    private static final VarHandle CR2 = Layouts.handle(LAYOUT, "cr2");
    private static final VarHandle CR3 = Layouts.handle(LAYOUT, "cr3");
    private static final VarHandle CR4 = Layouts.handle(LAYOUT, "cr4");
    private static final VarHandle CR8 = Layouts.handle(LAYOUT, "cr8");
    private static final VarHandle EFER = Layouts.handle(LAYOUT, "efer");
    private static final VarHandle APIC_BASE = Layouts.handle(LAYOUT, "apic_base");
    private static final VarHandle INTERRUPT_BITMAP = Layouts.handle(LAYOUT, "interrupt_bitmap[]");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmSregs(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmSregs.class);
    }

    /** A zeroed {@code kvm_sregs} from {@code allocator}. */
    public static KvmSregs allocate(SegmentAllocator allocator) {
        return new KvmSregs(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public KvmSegment cs() {
        return new KvmSegment(segment.asSlice(CS, KvmSegment.LAYOUT));
    }

    public KvmSegment ds() {
        return new KvmSegment(segment.asSlice(DS, KvmSegment.LAYOUT));
    }

    public KvmSegment es() {
        return new KvmSegment(segment.asSlice(ES, KvmSegment.LAYOUT));
    }

    public KvmSegment fs() {
        return new KvmSegment(segment.asSlice(FS, KvmSegment.LAYOUT));
    }

    public KvmSegment gs() {
        return new KvmSegment(segment.asSlice(GS, KvmSegment.LAYOUT));
    }

    public KvmSegment ss() {
        return new KvmSegment(segment.asSlice(SS, KvmSegment.LAYOUT));
    }

    public KvmSegment tr() {
        return new KvmSegment(segment.asSlice(TR, KvmSegment.LAYOUT));
    }

    public KvmSegment ldt() {
        return new KvmSegment(segment.asSlice(LDT, KvmSegment.LAYOUT));
    }

    public KvmDtable gdt() {
        return new KvmDtable(segment.asSlice(GDT, KvmDtable.LAYOUT));
    }

    public KvmDtable idt() {
        return new KvmDtable(segment.asSlice(IDT, KvmDtable.LAYOUT));
    }

    public long cr0() {
        return (long) CR0.get(segment, 0L);
    }

    public KvmSregs cr0(long v) {
        CR0.set(segment, 0L, v);
        return this;
    }

    public long cr2() {
        return (long) CR2.get(segment, 0L);
    }

    public KvmSregs cr2(long v) {
        CR2.set(segment, 0L, v);
        return this;
    }

    public long cr3() {
        return (long) CR3.get(segment, 0L);
    }

    public KvmSregs cr3(long v) {
        CR3.set(segment, 0L, v);
        return this;
    }

    public long cr4() {
        return (long) CR4.get(segment, 0L);
    }

    public KvmSregs cr4(long v) {
        CR4.set(segment, 0L, v);
        return this;
    }

    public long cr8() {
        return (long) CR8.get(segment, 0L);
    }

    public KvmSregs cr8(long v) {
        CR8.set(segment, 0L, v);
        return this;
    }

    public long efer() {
        return (long) EFER.get(segment, 0L);
    }

    public KvmSregs efer(long v) {
        EFER.set(segment, 0L, v);
        return this;
    }

    public long apicBase() {
        return (long) APIC_BASE.get(segment, 0L);
    }

    public KvmSregs apicBase(long v) {
        APIC_BASE.set(segment, 0L, v);
        return this;
    }

    /** {@code interrupt_bitmap[i]}, {@code i} in 0..3: bit {@code v % 64} of word {@code v / 64} is vector v. */
    public long interruptBitmap(int i) {
        return (long) INTERRUPT_BITMAP.get(segment, 0L, (long) i);
    }

    public KvmSregs interruptBitmap(int i, long v) {
        INTERRUPT_BITMAP.set(segment, 0L, (long) i, v);
        return this;
    }

    /** Copies every field from {@code other}. */
    public KvmSregs copyFrom(KvmSregs other) {
        MemorySegment.copy(other.segment, 0, segment, 0, LAYOUT.byteSize());
        return this;
    }
}
