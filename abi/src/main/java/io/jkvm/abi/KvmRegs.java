package io.jkvm.abi;

import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u64;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.StringJoiner;

/**
 * {@code struct kvm_regs} (asm/kvm.h): the general-purpose registers, RIP and RFLAGS, as read by
 * {@code KVM_GET_REGS} and written by {@code KVM_SET_REGS}. Every field is a {@code __u64}.
 */
public final class KvmRegs {
    public static final StructLayout LAYOUT = struct("kvm_regs",
            u64("rax"), u64("rbx"), u64("rcx"), u64("rdx"),
            u64("rsi"), u64("rdi"), u64("rsp"), u64("rbp"),
            u64("r8"), u64("r9"), u64("r10"), u64("r11"),
            u64("r12"), u64("r13"), u64("r14"), u64("r15"),
            u64("rip"), u64("rflags"));
    private static final VarHandle RAX = Layouts.handle(LAYOUT, "rax");
    private static final VarHandle RBX = Layouts.handle(LAYOUT, "rbx");
    private static final VarHandle RCX = Layouts.handle(LAYOUT, "rcx");
    private static final VarHandle RDX = Layouts.handle(LAYOUT, "rdx");
    private static final VarHandle RSI = Layouts.handle(LAYOUT, "rsi");
    private static final VarHandle RDI = Layouts.handle(LAYOUT, "rdi");
    private static final VarHandle RSP = Layouts.handle(LAYOUT, "rsp");
    private static final VarHandle RBP = Layouts.handle(LAYOUT, "rbp");
    private static final VarHandle R8 = Layouts.handle(LAYOUT, "r8");
    private static final VarHandle R9 = Layouts.handle(LAYOUT, "r9");
    private static final VarHandle R10 = Layouts.handle(LAYOUT, "r10");
    private static final VarHandle R11 = Layouts.handle(LAYOUT, "r11");
    private static final VarHandle R12 = Layouts.handle(LAYOUT, "r12");
    private static final VarHandle R13 = Layouts.handle(LAYOUT, "r13");
    private static final VarHandle R14 = Layouts.handle(LAYOUT, "r14");
    private static final VarHandle R15 = Layouts.handle(LAYOUT, "r15");
    private static final VarHandle RIP = Layouts.handle(LAYOUT, "rip");
    private static final VarHandle RFLAGS = Layouts.handle(LAYOUT, "rflags");

    private final MemorySegment segment;

    /** A view of {@code segment}, which must hold at least {@code LAYOUT.byteSize()} bytes. */
    public KvmRegs(MemorySegment segment) {
        this.segment = Layouts.checked(segment, LAYOUT, KvmRegs.class);
    }

    /** A zeroed {@code kvm_regs} from {@code allocator}. */
    public static KvmRegs allocate(SegmentAllocator allocator) {
        return new KvmRegs(Layouts.zeroed(allocator, LAYOUT));
    }

    public MemorySegment segment() {
        return segment;
    }

    public long rax() {
        return (long) RAX.get(segment, 0L);
    }

    public KvmRegs rax(long v) {
        RAX.set(segment, 0L, v);
        return this;
    }

    public long rbx() {
        return (long) RBX.get(segment, 0L);
    }

    public KvmRegs rbx(long v) {
        RBX.set(segment, 0L, v);
        return this;
    }

    public long rcx() {
        return (long) RCX.get(segment, 0L);
    }

    public KvmRegs rcx(long v) {
        RCX.set(segment, 0L, v);
        return this;
    }

    public long rdx() {
        return (long) RDX.get(segment, 0L);
    }

    public KvmRegs rdx(long v) {
        RDX.set(segment, 0L, v);
        return this;
    }

    public long rsi() {
        return (long) RSI.get(segment, 0L);
    }

    public KvmRegs rsi(long v) {
        RSI.set(segment, 0L, v);
        return this;
    }

    public long rdi() {
        return (long) RDI.get(segment, 0L);
    }

    public KvmRegs rdi(long v) {
        RDI.set(segment, 0L, v);
        return this;
    }

    public long rsp() {
        return (long) RSP.get(segment, 0L);
    }

    public KvmRegs rsp(long v) {
        RSP.set(segment, 0L, v);
        return this;
    }

    public long rbp() {
        return (long) RBP.get(segment, 0L);
    }

    public KvmRegs rbp(long v) {
        RBP.set(segment, 0L, v);
        return this;
    }

    public long r8() {
        return (long) R8.get(segment, 0L);
    }

    public KvmRegs r8(long v) {
        R8.set(segment, 0L, v);
        return this;
    }

    public long r9() {
        return (long) R9.get(segment, 0L);
    }

    public KvmRegs r9(long v) {
        R9.set(segment, 0L, v);
        return this;
    }

    public long r10() {
        return (long) R10.get(segment, 0L);
    }

    public KvmRegs r10(long v) {
        R10.set(segment, 0L, v);
        return this;
    }

    public long r11() {
        return (long) R11.get(segment, 0L);
    }

    public KvmRegs r11(long v) {
        R11.set(segment, 0L, v);
        return this;
    }

    public long r12() {
        return (long) R12.get(segment, 0L);
    }

    public KvmRegs r12(long v) {
        R12.set(segment, 0L, v);
        return this;
    }

    public long r13() {
        return (long) R13.get(segment, 0L);
    }

    public KvmRegs r13(long v) {
        R13.set(segment, 0L, v);
        return this;
    }

    public long r14() {
        return (long) R14.get(segment, 0L);
    }

    public KvmRegs r14(long v) {
        R14.set(segment, 0L, v);
        return this;
    }

    public long r15() {
        return (long) R15.get(segment, 0L);
    }

    public KvmRegs r15(long v) {
        R15.set(segment, 0L, v);
        return this;
    }

    public long rip() {
        return (long) RIP.get(segment, 0L);
    }

    public KvmRegs rip(long v) {
        RIP.set(segment, 0L, v);
        return this;
    }

    public long rflags() {
        return (long) RFLAGS.get(segment, 0L);
    }

    public KvmRegs rflags(long v) {
        RFLAGS.set(segment, 0L, v);
        return this;
    }

    /** Copies every register from {@code other}. */
    public KvmRegs copyFrom(KvmRegs other) {
        MemorySegment.copy(other.segment, 0, segment, 0, LAYOUT.byteSize());
        return this;
    }

    @Override
    public String toString() {
        StringJoiner joiner = new StringJoiner(" ", "kvm_regs{", "}");
        for (MemoryLayout member : LAYOUT.memberLayouts()) {
            String name = member.name().orElseThrow();
            long value = segment.get(JAVA_LONG, Layouts.offset(LAYOUT, name));
            joiner.add(name + "=0x" + Long.toHexString(value));
        }
        return joiner.toString();
    }
}
