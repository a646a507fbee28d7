package io.jkvm.abi;

import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u16;
import static io.jkvm.abi.CTypes.u32;
import static io.jkvm.abi.CTypes.u64;
import static io.jkvm.abi.CTypes.u8;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_segment} (asm/kvm.h): a segment register in unpacked form, the hidden descriptor cache
 * included. The attribute bytes ({@code type}, {@code present}, {@code dpl}, {@code db}, {@code s}, {@code l},
 * {@code g}, {@code avl}) are one field each, not the packed descriptor bits. {@code unusable} is VMX's
 * "segment unusable" bit, which KVM reports for null selectors.
 *
 * <p>{@code limit} is a {@code __u32} returned as {@code int}: use {@link Integer#toUnsignedLong} for arithmetic.
 */
public final class KvmSegment {
    public static final StructLayout LAYOUT = struct("kvm_segment",
            u64("base"), u32("limit"), u16("selector"), u8("type"),
            u8("present"), u8("dpl"), u8("db"), u8("s"), u8("l"), u8("g"), u8("avl"),
            u8("unusable"), u8("padding"));
    private static final VarHandle BASE = Layouts.handle(LAYOUT, "base");
    private static final VarHandle LIMIT = Layouts.handle(LAYOUT, "limit");
    private static final VarHandle SELECTOR = Layouts.handle(LAYOUT, "selector");
    private static final VarHandle TYPE = Layouts.handle(LAYOUT, "type");
    private static final VarHandle PRESENT = Layouts.handle(LAYOUT, "present");
    private static final VarHandle DPL = Layouts.handle(LAYOUT, "dpl");
    private static final VarHandle DB = Layouts.handle(LAYOUT, "db");
    private static final VarHandle S = Layouts.handle(LAYOUT, "s");
    private static final VarHandle L = Layouts.handle(LAYOUT, "l");
    private static final VarHandle G = Layouts.handle(LAYOUT, "g");
    private static final VarHandle AVL = Layouts.handle(LAYOUT, "avl");
    private static final VarHandle UNUSABLE = Layouts.handle(LAYOUT, "unusable");
    private static final VarHandle PADDING = Layouts.handle(LAYOUT, "padding");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmSegment(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmSegment.class);
    }

    /** A zeroed {@code kvm_segment} from {@code allocator}. */
    public static KvmSegment allocate(SegmentAllocator allocator) {
        return new KvmSegment(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public long base() {
        return (long) BASE.get(segment, 0L);
    }

    public KvmSegment base(long v) {
        BASE.set(segment, 0L, v);
        return this;
    }

    /** The limit in bytes (already scaled by {@code g}, as KVM reports it). */
    public int limit() {
        return (int) LIMIT.get(segment, 0L);
    }

    public KvmSegment limit(int v) {
        LIMIT.set(segment, 0L, v);
        return this;
    }

    public int selector() {
        return Short.toUnsignedInt((short) SELECTOR.get(segment, 0L));
    }

    public KvmSegment selector(int v) {
        SELECTOR.set(segment, 0L, Layouts.checkU16("kvm_segment.selector", v));
        return this;
    }

    /** The 4-bit descriptor type (e.g. 0xB for a busy 64-bit TSS, 0x3 for accessed read/write data). */
    public int type() {
        return Byte.toUnsignedInt((byte) TYPE.get(segment, 0L));
    }

    public KvmSegment type(int v) {
        TYPE.set(segment, 0L, Layouts.checkU8("kvm_segment.type", v));
        return this;
    }

    public int present() {
        return Byte.toUnsignedInt((byte) PRESENT.get(segment, 0L));
    }

    public KvmSegment present(int v) {
        PRESENT.set(segment, 0L, Layouts.checkU8("kvm_segment.present", v));
        return this;
    }

    public int dpl() {
        return Byte.toUnsignedInt((byte) DPL.get(segment, 0L));
    }

    public KvmSegment dpl(int v) {
        DPL.set(segment, 0L, Layouts.checkU8("kvm_segment.dpl", v));
        return this;
    }

    public int db() {
        return Byte.toUnsignedInt((byte) DB.get(segment, 0L));
    }

    public KvmSegment db(int v) {
        DB.set(segment, 0L, Layouts.checkU8("kvm_segment.db", v));
        return this;
    }

    public int s() {
        return Byte.toUnsignedInt((byte) S.get(segment, 0L));
    }

    public KvmSegment s(int v) {
        S.set(segment, 0L, Layouts.checkU8("kvm_segment.s", v));
        return this;
    }

    public int l() {
        return Byte.toUnsignedInt((byte) L.get(segment, 0L));
    }

    public KvmSegment l(int v) {
        L.set(segment, 0L, Layouts.checkU8("kvm_segment.l", v));
        return this;
    }

    public int g() {
        return Byte.toUnsignedInt((byte) G.get(segment, 0L));
    }

    public KvmSegment g(int v) {
        G.set(segment, 0L, Layouts.checkU8("kvm_segment.g", v));
        return this;
    }

    public int avl() {
        return Byte.toUnsignedInt((byte) AVL.get(segment, 0L));
    }

    public KvmSegment avl(int v) {
        AVL.set(segment, 0L, Layouts.checkU8("kvm_segment.avl", v));
        return this;
    }

    public int unusable() {
        return Byte.toUnsignedInt((byte) UNUSABLE.get(segment, 0L));
    }

    public KvmSegment unusable(int v) {
        UNUSABLE.set(segment, 0L, Layouts.checkU8("kvm_segment.unusable", v));
        return this;
    }

    public int padding() {
        return Byte.toUnsignedInt((byte) PADDING.get(segment, 0L));
    }

    public KvmSegment padding(int v) {
        PADDING.set(segment, 0L, Layouts.checkU8("kvm_segment.padding", v));
        return this;
    }

    @Override
    public String toString() {
        return "kvm_segment{base=0x" + Long.toHexString(base()) + " limit=0x" + Integer.toHexString(limit())
                + " selector=0x" + Integer.toHexString(selector()) + " type=" + type() + " present=" + present()
                + " dpl=" + dpl() + " db=" + db() + " s=" + s() + " l=" + l() + " g=" + g() + " avl=" + avl()
                + " unusable=" + unusable() + "}";
    }
}
