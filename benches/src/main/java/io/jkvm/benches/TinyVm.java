package io.jkvm.benches;

import io.jkvm.abi.Capability;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSegment;
import io.jkvm.abi.KvmSregs;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.GuestLayout;
import io.jkvm.runtime.Kvm;
import io.jkvm.runtime.Vcpu;
import io.jkvm.runtime.Vm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One VM with one vcpu in 64-bit long mode at CPL 0, through the public KVM-style API ({@link Kvm}, {@link Vm},
 * {@link Vcpu}), for the micro-benchmarks' hand-assembled guests. Same setup as the API acceptance tests' TestVm:
 * RAM in slot 0 at guest-physical 0, identity-mapped with 2 MiB pages (page tables at 0x2000-0x4fff), flat
 * segments, the backend's supported CPUID, interrupts off. Works on both backends.
 */
public final class TinyVm implements AutoCloseable {
    /** Where benchmark code is loaded. */
    public static final long CODE = 0x10000;
    static final long PML4 = 0x2000;
    static final long PDPT = 0x3000;
    static final long PD = 0x4000;

    private final Arena arena = Arena.ofShared();
    private final Kvm kvm;
    public final Vm vm;
    public final Vcpu vcpu;
    public final MemorySegment ram;
    /** A registers buffer to reuse (no allocation per benchmark invocation). */
    public final KvmRegs regs;

    /**
     * @param ramBytes a multiple of 2 MiB, at most 1 GiB
     * @throws IllegalStateException with the backend's own reason when it cannot run on this host
     */
    public TinyVm(Backend backend, long ramBytes) {
        String reason = backend.unavailableReason();
        if (reason != null) {
            arena.close();
            throw new IllegalStateException("backend " + backend.cliName() + " is not available here: " + reason
                    + " (run the suite through io.jkvm.benches.Suite, which leaves it out, or pass -p backend=jit)");
        }
        Kvm k = Kvm.open(backend);
        try {
            this.kvm = k;
            this.vm = k.createVm();
            this.ram = arena.allocate(ramBytes, 1 << 21);
            vm.setUserMemoryRegion(0, 0, 0, ram);
            if (vm.checkExtension(Capability.SET_TSS_ADDR) > 0) {
                vm.setTssAddr(GuestLayout.KVM_TSS_ADDRESS);
            }
            this.vcpu = vm.createVcpu(0);
            this.regs = KvmRegs.allocate(arena);
            longMode(ramBytes);
        } catch (RuntimeException | Error e) {
            k.close();
            arena.close();
            throw e;
        }
    }

    private void longMode(long ramBytes) {
        ram.set(JAVA_LONG, PML4, PDPT | 3);
        ram.set(JAVA_LONG, PDPT, PD | 3);
        for (long i = 0; i < ramBytes >>> 21; i++) {
            ram.set(JAVA_LONG, PD + 8 * i, (i << 21) | 0x83); // present, writable, 2 MiB page
        }
        vcpu.setCpuid2(kvm.supportedCpuid(arena));
        KvmSregs sregs = vcpu.getSregs();
        sregs.cr3(PML4);
        sregs.cr4(1 << 5 | 1 << 9 | 1 << 10);                    // PAE, OSFXSR, OSXMMEXCPT
        sregs.cr0(1 | 1 << 1 | 1 << 4 | 1 << 5 | 1 << 16 | 1L << 31); // PE, MP, ET, NE, WP, PG
        sregs.efer(1 << 8 | 1 << 10);                           // LME, LMA
        flat(sregs.cs(), 1 << 3, 11).l(1).db(0);
        for (KvmSegment data : new KvmSegment[] {sregs.ds(), sregs.es(), sregs.fs(), sregs.gs(), sregs.ss()}) {
            flat(data, 2 << 3, 3).l(0).db(1);
        }
        vcpu.setSregs(sregs);
    }

    private static KvmSegment flat(KvmSegment s, int selector, int type) {
        return s.base(0).limit(0xffffffff).selector(selector).type(type).present(1).dpl(0).s(1).g(1).avl(0)
                .unusable(0);
    }

    /** Copies {@code code} to guest-physical {@code address}. */
    public TinyVm load(long address, byte[] code) {
        MemorySegment.copy(MemorySegment.ofArray(code), 0, ram, address, code.length);
        return this;
    }

    /** Zeroes the registers buffer and sets RIP and RFLAGS (bit 1 only); the caller sets more, then {@link #enter}. */
    public KvmRegs startAt(long rip) {
        regs.segment().fill((byte) 0);
        return regs.rip(rip).rflags(2);
    }

    /** Writes {@link #regs} to the vcpu. */
    public void enter() {
        vcpu.setRegs(regs);
    }

    /** Runs to the next exit and checks its reason. */
    public KvmRun runExpecting(ExitReason expected) {
        KvmRun run = vcpu.run();
        if (run.exit() != expected) {
            throw new IllegalStateException("expected a " + expected + " exit, got " + run.exit() + " ("
                    + run.exitReason() + ") at " + vcpu.getRegs());
        }
        return run;
    }

    /** Parses a hex string (the tiny guests' machine code, listed with its assembly source). */
    public static byte[] hex(String hex) {
        String h = hex.replaceAll("\\s+", "");
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h, 2 * i, 2 * i + 2, 16);
        }
        return b;
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
