package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
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
 * {@code struct kvm_fpu} (asm/kvm.h), the argument of {@code KVM_GET_FPU}/{@code KVM_SET_FPU}: the x87 and SSE state
 * in FXSAVE terms. {@code fpr[i]} is ST(i)/MM(i) as 16 bytes (an 80-bit value in the low 10), {@code xmm[i]} is
 * XMMi, little-endian; {@code ftwx} is the abridged tag byte of FXSAVE, not the full x87 tag word.
 */
public final class KvmFpu {
    /** Bytes per {@code fpr} and {@code xmm} entry. */
    public static final int REGISTER_BYTES = 16;

    public static final StructLayout LAYOUT = struct("kvm_fpu",
            array("fpr", 8, array("fpr", REGISTER_BYTES, u8("fpr"))),
            u16("fcw"), u16("fsw"), u8("ftwx"), u8("pad1"), u16("last_opcode"), u64("last_ip"), u64("last_dp"),
            array("xmm", 16, array("xmm", REGISTER_BYTES, u8("xmm"))),
            u32("mxcsr"), u32("pad2"));
    private static final long FPR = Layouts.offset(LAYOUT, "fpr");
    private static final long XMM = Layouts.offset(LAYOUT, "xmm");
    private static final VarHandle FCW = Layouts.handle(LAYOUT, "fcw");
    private static final VarHandle FSW = Layouts.handle(LAYOUT, "fsw");
    private static final VarHandle FTWX = Layouts.handle(LAYOUT, "ftwx");
    private static final VarHandle PAD1 = Layouts.handle(LAYOUT, "pad1");
    private static final VarHandle LAST_OPCODE = Layouts.handle(LAYOUT, "last_opcode");
    private static final VarHandle LAST_IP = Layouts.handle(LAYOUT, "last_ip");
    private static final VarHandle LAST_DP = Layouts.handle(LAYOUT, "last_dp");
    private static final VarHandle MXCSR = Layouts.handle(LAYOUT, "mxcsr");
    private static final VarHandle PAD2 = Layouts.handle(LAYOUT, "pad2");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmFpu(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmFpu.class);
    }

    /** A zeroed {@code kvm_fpu} from {@code allocator}. */
    public static KvmFpu allocate(SegmentAllocator allocator) {
        return new KvmFpu(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    /** The 16 bytes of {@code fpr[i]}, {@code i} in 0..7, as a slice sharing this memory. */
    public MemorySegment fpr(int i) {
        Layouts.index("kvm_fpu.fpr", i, 8);
        return segment.asSlice(FPR + (long) i * REGISTER_BYTES, REGISTER_BYTES);
    }

    /** The 16 bytes of {@code xmm[i]}, {@code i} in 0..15, as a slice sharing this memory. */
    public MemorySegment xmm(int i) {
        Layouts.index("kvm_fpu.xmm", i, 16);
        return segment.asSlice(XMM + (long) i * REGISTER_BYTES, REGISTER_BYTES);
    }

    /** The x87 control word (0x37F after FNINIT). */
    public int fcw() {
        return Short.toUnsignedInt((short) FCW.get(segment, 0L));
    }

    public KvmFpu fcw(int v) {
        FCW.set(segment, 0L, Layouts.checkU16("kvm_fpu.fcw", v));
        return this;
    }

    public int fsw() {
        return Short.toUnsignedInt((short) FSW.get(segment, 0L));
    }

    public KvmFpu fsw(int v) {
        FSW.set(segment, 0L, Layouts.checkU16("kvm_fpu.fsw", v));
        return this;
    }

    /** The abridged (FXSAVE) tag byte: bit i set means ST(i)'s register is not empty. */
    public int ftwx() {
        return Byte.toUnsignedInt((byte) FTWX.get(segment, 0L));
    }

    public KvmFpu ftwx(int v) {
        FTWX.set(segment, 0L, Layouts.checkU8("kvm_fpu.ftwx", v));
        return this;
    }

    public int pad1() {
        return Byte.toUnsignedInt((byte) PAD1.get(segment, 0L));
    }

    public KvmFpu pad1(int v) {
        PAD1.set(segment, 0L, Layouts.checkU8("kvm_fpu.pad1", v));
        return this;
    }

    public int lastOpcode() {
        return Short.toUnsignedInt((short) LAST_OPCODE.get(segment, 0L));
    }

    public KvmFpu lastOpcode(int v) {
        LAST_OPCODE.set(segment, 0L, Layouts.checkU16("kvm_fpu.last_opcode", v));
        return this;
    }

    public long lastIp() {
        return (long) LAST_IP.get(segment, 0L);
    }

    public KvmFpu lastIp(long v) {
        LAST_IP.set(segment, 0L, v);
        return this;
    }

    public long lastDp() {
        return (long) LAST_DP.get(segment, 0L);
    }

    public KvmFpu lastDp(long v) {
        LAST_DP.set(segment, 0L, v);
        return this;
    }

    /** MXCSR (0x1F80 at reset). */
    public int mxcsr() {
        return (int) MXCSR.get(segment, 0L);
    }

    public KvmFpu mxcsr(int v) {
        MXCSR.set(segment, 0L, v);
        return this;
    }

    public int pad2() {
        return (int) PAD2.get(segment, 0L);
    }

    public KvmFpu pad2(int v) {
        PAD2.set(segment, 0L, v);
        return this;
    }
}
