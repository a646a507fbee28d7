package io.jkvm.abi;

import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_cpuid_entry2} (asm/kvm.h): the answer to one CPUID leaf ({@code function}) and subleaf
 * ({@code index}), as listed by {@code KVM_GET_SUPPORTED_CPUID} and installed by {@code KVM_SET_CPUID2}. All fields
 * are {@code __u32} returned as {@code int}; {@code flags} holds {@link CpuidFlags} bits.
 */
public final class KvmCpuidEntry2 {
    public static final StructLayout LAYOUT = struct("kvm_cpuid_entry2",
            u32("function"), u32("index"), u32("flags"), u32("eax"), u32("ebx"), u32("ecx"), u32("edx"),
            array("padding", 3, u32("padding")));
    private static final VarHandle FUNCTION = Layouts.handle(LAYOUT, "function");
    private static final VarHandle INDEX = Layouts.handle(LAYOUT, "index");
    private static final VarHandle FLAGS = Layouts.handle(LAYOUT, "flags");
    private static final VarHandle EAX = Layouts.handle(LAYOUT, "eax");
    private static final VarHandle EBX = Layouts.handle(LAYOUT, "ebx");
    private static final VarHandle ECX = Layouts.handle(LAYOUT, "ecx");
    private static final VarHandle EDX = Layouts.handle(LAYOUT, "edx");
    private static final VarHandle PADDING = Layouts.handle(LAYOUT, "padding[]");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmCpuidEntry2(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmCpuidEntry2.class);
    }

    /** A zeroed {@code kvm_cpuid_entry2} from {@code allocator}. */
    public static KvmCpuidEntry2 allocate(SegmentAllocator allocator) {
        return new KvmCpuidEntry2(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    /** The leaf (EAX input of CPUID). */
    public int function() {
        return (int) FUNCTION.get(segment, 0L);
    }

    public KvmCpuidEntry2 function(int v) {
        FUNCTION.set(segment, 0L, v);
        return this;
    }

    /** The subleaf (ECX input); only meaningful with {@link CpuidFlags#KVM_CPUID_FLAG_SIGNIFCANT_INDEX}. */
    public int index() {
        return (int) INDEX.get(segment, 0L);
    }

    public KvmCpuidEntry2 index(int v) {
        INDEX.set(segment, 0L, v);
        return this;
    }

    public int flags() {
        return (int) FLAGS.get(segment, 0L);
    }

    public KvmCpuidEntry2 flags(int v) {
        FLAGS.set(segment, 0L, v);
        return this;
    }

    public int eax() {
        return (int) EAX.get(segment, 0L);
    }

    public KvmCpuidEntry2 eax(int v) {
        EAX.set(segment, 0L, v);
        return this;
    }

    public int ebx() {
        return (int) EBX.get(segment, 0L);
    }

    public KvmCpuidEntry2 ebx(int v) {
        EBX.set(segment, 0L, v);
        return this;
    }

    public int ecx() {
        return (int) ECX.get(segment, 0L);
    }

    public KvmCpuidEntry2 ecx(int v) {
        ECX.set(segment, 0L, v);
        return this;
    }

    public int edx() {
        return (int) EDX.get(segment, 0L);
    }

    public KvmCpuidEntry2 edx(int v) {
        EDX.set(segment, 0L, v);
        return this;
    }

    /** {@code padding[i]}, {@code i} in 0..2. */
    public int padding(int i) {
        return (int) PADDING.get(segment, 0L, (long) i);
    }

    public KvmCpuidEntry2 padding(int i, int v) {
        PADDING.set(segment, 0L, (long) i, v);
        return this;
    }
}
