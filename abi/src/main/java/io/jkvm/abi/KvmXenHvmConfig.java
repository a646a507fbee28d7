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
 * {@code struct kvm_xen_hvm_config} (linux/kvm.h), the argument of {@code KVM_XEN_HVM_CONFIG}: the Xen hypercall-page
 * MSR and the blobs KVM copies into the guest when it writes that MSR. {@code flags} holds
 * {@link XenHvmConfigFlags}; {@code blob_size_*} count pages.
 */
public final class KvmXenHvmConfig {
    public static final StructLayout LAYOUT = struct("kvm_xen_hvm_config",
            u32("flags"), u32("msr"), u64("blob_addr_32"), u64("blob_addr_64"), u8("blob_size_32"),
            u8("blob_size_64"), array("pad2", 30, u8("pad2")));
    private static final VarHandle FLAGS = Layouts.handle(LAYOUT, "flags");
    private static final VarHandle MSR = Layouts.handle(LAYOUT, "msr");
    private static final VarHandle BLOB_ADDR_32 = Layouts.handle(LAYOUT, "blob_addr_32");
    private static final VarHandle BLOB_ADDR_64 = Layouts.handle(LAYOUT, "blob_addr_64");
    private static final VarHandle BLOB_SIZE_32 = Layouts.handle(LAYOUT, "blob_size_32");
    private static final VarHandle BLOB_SIZE_64 = Layouts.handle(LAYOUT, "blob_size_64");
    private static final VarHandle PAD2 = Layouts.handle(LAYOUT, "pad2[]");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmXenHvmConfig(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmXenHvmConfig.class);
    }

    /** A zeroed {@code kvm_xen_hvm_config} from {@code allocator}. */
    public static KvmXenHvmConfig allocate(SegmentAllocator allocator) {
        return new KvmXenHvmConfig(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public int flags() {
        return (int) FLAGS.get(segment, 0L);
    }

    public KvmXenHvmConfig flags(int v) {
        FLAGS.set(segment, 0L, v);
        return this;
    }

    /** The MSR the guest writes to install the hypercall page. */
    public int msr() {
        return (int) MSR.get(segment, 0L);
    }

    public KvmXenHvmConfig msr(int v) {
        MSR.set(segment, 0L, v);
        return this;
    }

    public long blobAddr32() {
        return (long) BLOB_ADDR_32.get(segment, 0L);
    }

    public KvmXenHvmConfig blobAddr32(long v) {
        BLOB_ADDR_32.set(segment, 0L, v);
        return this;
    }

    public long blobAddr64() {
        return (long) BLOB_ADDR_64.get(segment, 0L);
    }

    public KvmXenHvmConfig blobAddr64(long v) {
        BLOB_ADDR_64.set(segment, 0L, v);
        return this;
    }

    public int blobSize32() {
        return Byte.toUnsignedInt((byte) BLOB_SIZE_32.get(segment, 0L));
    }

    public KvmXenHvmConfig blobSize32(int v) {
        BLOB_SIZE_32.set(segment, 0L, Layouts.checkU8("kvm_xen_hvm_config.blob_size_32", v));
        return this;
    }

    public int blobSize64() {
        return Byte.toUnsignedInt((byte) BLOB_SIZE_64.get(segment, 0L));
    }

    public KvmXenHvmConfig blobSize64(int v) {
        BLOB_SIZE_64.set(segment, 0L, Layouts.checkU8("kvm_xen_hvm_config.blob_size_64", v));
        return this;
    }

    /** {@code pad2[i]}, {@code i} in 0..29. */
    public int pad2(int i) {
        return Byte.toUnsignedInt((byte) PAD2.get(segment, 0L, (long) i));
    }

    public KvmXenHvmConfig pad2(int i, int v) {
        PAD2.set(segment, 0L, (long) i, Layouts.checkU8("kvm_xen_hvm_config.pad2", v));
        return this;
    }
}
