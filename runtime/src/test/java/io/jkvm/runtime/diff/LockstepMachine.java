package io.jkvm.runtime.diff;

import io.jkvm.abi.Capability;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.GuestDebugFlags;
import io.jkvm.abi.KvmFpu;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSegment;
import io.jkvm.abi.KvmSregs;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.Kvm;
import io.jkvm.runtime.Vcpu;
import io.jkvm.runtime.Vm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One VM on one backend, set up for lockstep comparisons through the public API: the test case runs at CPL 3 at
 * the same linear addresses as the translator's differential tests (code page at {@link #CODE}, scratch area at
 * {@link #SCRATCH}), and exceptions are delivered for real, through a GDT, an IDT and a TSS in supervisor-only low
 * memory, to one stub per vector that executes HLT (so a fault ends the case with a HLT exit whose RIP names the
 * vector, and the CPU's exception frame on the kernel stack records RIP, CS, RFLAGS, RSP and SS at the fault).
 *
 * <pre>
 *   0x1000 PML4   0x2000 PDPT   0x3000 PD   0x4000 PT (low 64 KiB, supervisor)   0x5000 PT (code)   0xa000 PT (scratch)
 *   0x6000 GDT    0x7000 IDT (32 interrupt gates)   0x8000 TSS (RSP0 = 0xf000)   0x9000 stubs, 16 bytes per vector
 *   0xb000 PT (one user page at {@link #MMIO}, mapped to a guest-physical address without a slot: MMIO exits)
 * </pre>
 */
final class LockstepMachine implements AutoCloseable {
    static final long CODE = 0x1000_0000L;
    static final int CODE_SIZE = 0x1000;
    static final long SCRATCH = 0x2000_0000L;
    static final int SCRATCH_SIZE = 0x2000;
    static final long STACK_TOP = SCRATCH + 0x1c00;
    static final long STUBS = 0x9000;
    static final long KERNEL_STACK_TOP = 0xf000;
    /** A user page whose guest-physical address (the same) has no memory slot: any access is an MMIO exit. */
    static final long MMIO = 0x3000_0000L;
    private static final int LOW_SIZE = 0x10000;
    private static final long PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, PT_LOW = 0x4000, PT_CODE = 0x5000,
            PT_SCRATCH = 0xa000, PT_MMIO = 0xb000, GDT = 0x6000, IDT = 0x7000, TSS = 0x8000;
    private static final long P = 1, RW = 2, US = 4, NX = 1L << 63;
    private static final int USER_CS = 0x33, USER_DS = 0x2b, KERNEL_CS = 0x10, TSS_SELECTOR = 0x40;

    /** A machine state as the lockstep compares it. */
    static final class State {
        final long[] gpr = new long[16];
        long rip;
        long rflags;
        int mxcsr;
        final byte[] xmm = new byte[256];
        byte[] scratch;
        /** The kernel stack below {@link #KERNEL_STACK_TOP}: the exception frame once an exception was delivered. */
        long[] frame = new long[6];
        long cr2;
    }

    final Backend backend;
    private final Arena arena = Arena.ofShared();
    private final Kvm kvm;
    private final Vcpu vcpu;
    private final MemorySegment low;
    private final MemorySegment code;
    private final MemorySegment scratch;

    LockstepMachine(Backend backend) {
        this.backend = backend;
        this.kvm = Kvm.open(backend);
        try {
            Vm vm = kvm.createVm();
            low = arena.allocate(LOW_SIZE, 4096);
            code = arena.allocate(CODE_SIZE, 4096);
            scratch = arena.allocate(SCRATCH_SIZE, 4096);
            vm.setUserMemoryRegion(0, 0, 0, low);
            vm.setUserMemoryRegion(1, 0, CODE, code);
            vm.setUserMemoryRegion(2, 0, SCRATCH, scratch);
            if (vm.checkExtension(Capability.SET_TSS_ADDR) > 0) {
                vm.setTssAddr(0xfffbd000L);
            }
            vcpu = vm.createVcpu(0);
            vcpu.setCpuid2(kvm.supportedCpuid(arena));
            buildSystemTables();
        } catch (RuntimeException | Error e) {
            kvm.close();
            arena.close();
            throw e;
        }
    }

    private void put(long gpa, long value) {
        low.set(ValueLayout.JAVA_LONG_UNALIGNED, gpa, value);
    }

    private void buildSystemTables() {
        put(PML4, PDPT | P | RW | US);
        put(PDPT, PD | P | RW | US);
        put(PD, PT_LOW | P | RW | US);
        put(PD + 8 * (CODE >>> 21 & 511), PT_CODE | P | RW | US);
        put(PD + 8 * (SCRATCH >>> 21 & 511), PT_SCRATCH | P | RW | US);
        put(PD + 8 * (MMIO >>> 21 & 511), PT_MMIO | P | RW | US);
        for (long page = 0; page < LOW_SIZE; page += 0x1000) {
            put(PT_LOW + 8 * (page >>> 12), page | P | RW); // supervisor only
        }
        put(PT_CODE, CODE | P | RW | US);
        put(PT_SCRATCH, SCRATCH | P | RW | US | NX);
        put(PT_SCRATCH + 8, SCRATCH + 0x1000 | P | RW | US | NX);
        put(PT_MMIO, MMIO | P | RW | US | NX);
        // GDT as Linux lays it out: 0x10 kernel CS, 0x18 kernel DS, 0x23 user CS32, 0x2b user DS, 0x33 user CS64.
        put(GDT + 0x10, 0x00af9b000000ffffL);
        put(GDT + 0x18, 0x00cf93000000ffffL);
        put(GDT + 0x20, 0x00cffb000000ffffL);
        put(GDT + 0x28, 0x00cff3000000ffffL);
        put(GDT + 0x30, 0x00affb000000ffffL);
        put(GDT + TSS_SELECTOR, 0x67 | (TSS & 0xffffff) << 16 | 0x89L << 40 | (TSS >>> 24 & 0xff) << 56);
        put(GDT + TSS_SELECTOR + 8, TSS >>> 32);
        for (int v = 0; v < 32; v++) {
            long stub = STUBS + 16L * v;
            put(IDT + 16L * v, (stub & 0xffff) | (long) KERNEL_CS << 16 | 0x8eL << 40 | (stub >>> 16 & 0xffff) << 48);
            put(IDT + 16L * v + 8, stub >>> 32);
            low.set(ValueLayout.JAVA_BYTE, stub, (byte) 0xf4); // hlt
            low.set(ValueLayout.JAVA_BYTE, stub + 1, (byte) 0xeb); // jmp back to the hlt
            low.set(ValueLayout.JAVA_BYTE, stub + 2, (byte) 0xfd);
        }
        put(TSS + 4, KERNEL_STACK_TOP); // RSP0
        low.set(ValueLayout.JAVA_SHORT_UNALIGNED, TSS + 0x66, (short) 0x68); // no I/O bitmap
    }

    /**
     * Loads a case: code (the rest of the page HLT), scratch image, registers, XMM and MXCSR; single-step on. Load
     * one case per machine: the JIT backend keeps translations of code the VMM overwrites through the slot.
     */
    void load(byte[] program, long[] gpr, long rflags, int mxcsr, byte[] xmm, byte[] image) {
        code.fill((byte) 0xf4);
        MemorySegment.copy(program, 0, code, ValueLayout.JAVA_BYTE, 0, program.length);
        MemorySegment.copy(image, 0, scratch, ValueLayout.JAVA_BYTE, 0, SCRATCH_SIZE);
        for (long a = KERNEL_STACK_TOP - 0x100; a < KERNEL_STACK_TOP; a += 8) {
            put(a, 0);
        }
        KvmSregs s = vcpu.getSregs();
        s.cr0(1 | 2 | 0x10 | 0x20 | 1L << 16 | 1L << 18 | 1L << 31); // PE MP ET NE WP AM PG
        s.cr3(PML4);
        s.cr4(0x20 | 0x200 | 0x400); // PAE OSFXSR OSXMMEXCPT
        s.efer(0x100 | 0x400 | 0x800 | 1); // LME LMA NXE SCE
        s.cr2(0);
        s.gdt().base(GDT).limit(0x4f);
        s.idt().base(IDT).limit(32 * 16 - 1);
        segment(s.cs(), USER_CS, 0xb, 3).l(1).db(0);
        for (KvmSegment d : new KvmSegment[]{s.ss(), s.ds(), s.es(), s.fs(), s.gs()}) {
            segment(d, USER_DS, 3, 3).l(0).db(1);
        }
        s.tr().base(TSS).limit(0x67).selector(TSS_SELECTOR).type(0xb).present(1).dpl(0).s(0).db(0).l(0).g(0)
                .avl(0).unusable(0);
        s.ldt().selector(0).base(0).limit(0).type(2).present(0).unusable(1);
        vcpu.setSregs(s);
        KvmRegs r = KvmRegs.allocate(arena);
        r.rax(gpr[0]).rcx(gpr[1]).rdx(gpr[2]).rbx(gpr[3]).rsp(gpr[4]).rbp(gpr[5]).rsi(gpr[6]).rdi(gpr[7])
                .r8(gpr[8]).r9(gpr[9]).r10(gpr[10]).r11(gpr[11]).r12(gpr[12]).r13(gpr[13]).r14(gpr[14])
                .r15(gpr[15]).rip(CODE).rflags(rflags);
        vcpu.setRegs(r);
        KvmFpu f = vcpu.getFpu();
        f.mxcsr(mxcsr);
        for (int i = 0; i < 16; i++) {
            MemorySegment.copy(xmm, 16 * i, f.xmm(i), ValueLayout.JAVA_BYTE, 0, 16);
        }
        vcpu.setFpu(f);
        vcpu.setGuestDebug(GuestDebugFlags.KVM_GUESTDBG_ENABLE | GuestDebugFlags.KVM_GUESTDBG_SINGLESTEP);
    }

    private static KvmSegment segment(KvmSegment s, int selector, int type, int dpl) {
        return s.base(0).limit(0xffffffff).selector(selector).type(type).present(1).dpl(dpl).s(1).g(1).avl(0)
                .unusable(0);
    }

    /** Single-stepping on or off ({@link #load} turns it on). */
    void singleStep(boolean on) {
        vcpu.setGuestDebug(on ? GuestDebugFlags.KVM_GUESTDBG_ENABLE | GuestDebugFlags.KVM_GUESTDBG_SINGLESTEP : 0);
    }

    /** {@code Vcpu.instructionsRetired()}: exact on the JIT backend, -1 on the hardware backend. */
    long instructionsRetired() {
        return vcpu.instructionsRetired();
    }

    /** Runs to the next exit (one instruction while single-stepping). */
    ExitReason step() {
        KvmRun run = vcpu.run();
        return run.exit();
    }

    State state() {
        State st = new State();
        KvmRegs r = vcpu.getRegs();
        long[] g = {r.rax(), r.rcx(), r.rdx(), r.rbx(), r.rsp(), r.rbp(), r.rsi(), r.rdi(), r.r8(), r.r9(), r.r10(),
                r.r11(), r.r12(), r.r13(), r.r14(), r.r15()};
        System.arraycopy(g, 0, st.gpr, 0, 16);
        st.rip = r.rip();
        st.rflags = r.rflags();
        KvmFpu f = vcpu.getFpu();
        st.mxcsr = f.mxcsr();
        for (int i = 0; i < 16; i++) {
            MemorySegment.copy(f.xmm(i), ValueLayout.JAVA_BYTE, 0, st.xmm, 16 * i, 16);
        }
        st.scratch = scratch.toArray(ValueLayout.JAVA_BYTE);
        for (int i = 0; i < 6; i++) {
            st.frame[i] = low.get(ValueLayout.JAVA_LONG_UNALIGNED, KERNEL_STACK_TOP - 48 + 8L * i);
        }
        st.cr2 = vcpu.getSregs().cr2();
        return st;
    }

    /** The code bytes from {@code rip} (at most 15), for decoding and disassembly. */
    byte[] codeAt(long rip) {
        long off = rip - CODE;
        if (off < 0 || off >= CODE_SIZE) {
            return new byte[0];
        }
        byte[] all = code.toArray(ValueLayout.JAVA_BYTE);
        return Arrays.copyOfRange(all, (int) off, (int) Math.min(CODE_SIZE, off + 15));
    }

    @Override
    public void close() {
        try {
            kvm.close();
        } finally {
            arena.close();
        }
    }
}
