package io.jkvm.runtime.api;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.abi.Capability;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.KvmCpuid2;
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

/**
 * One VM with one vcpu and a RAM slot at guest-physical 0, for the acceptance tests. Closing it closes the
 * {@link Kvm} (and so the VM and vcpus) before it frees the guest memory, which must outlive its slots.
 */
final class TestVm implements AutoCloseable {
    /** Size of the RAM slot at guest-physical 0 (slot 0): code at 0x1000, page tables 0x2000-0x4fff, data. */
    static final long RAM_SIZE = 0x8000;
    /** Three pages x86 KVM reserves for VMX real mode, as kvmtool places them (below 4 GiB, clear of RAM). */
    static final long TSS_ADDR = 0xfffbd000L;

    // Page tables for long mode: one 2 MiB page identity-maps 0..2 MiB.
    static final long PML4 = 0x2000;
    static final long PDPT = 0x3000;
    static final long PD = 0x4000;
    private static final long PTE_P = 1;
    private static final long PTE_RW = 1 << 1;
    private static final long PDE_PS = 1 << 7;

    // Control registers (Intel SDM vol. 3, 2.5).
    static final long CR0_PE = 1;
    static final long CR0_MP = 1 << 1;
    static final long CR0_ET = 1 << 4;
    static final long CR0_NE = 1 << 5;
    static final long CR0_WP = 1 << 16;
    static final long CR0_AM = 1 << 18;
    static final long CR0_PG = 1L << 31;
    static final long CR4_PAE = 1 << 5;
    static final long EFER_LME = 1 << 8;
    static final long EFER_LMA = 1 << 10;
    /** RFLAGS bit 1 is always set. */
    static final long RFLAGS_FIXED = 2;

    final Backend backend;
    final Arena arena = Arena.ofShared();
    final Kvm kvm;
    final Vm vm;
    final Vcpu vcpu;
    final MemorySegment ram;

    private TestVm(Backend backend) {
        this.backend = backend;
        Kvm k = Kvm.open(backend);
        try {
            this.kvm = k;
            this.vm = k.createVm();
            this.ram = arena.allocate(RAM_SIZE, 4096);
            vm.setUserMemoryRegion(0, 0, 0, ram);
            if (vm.checkExtension(Capability.SET_TSS_ADDR) > 0) {
                vm.setTssAddr(TSS_ADDR);
            }
            this.vcpu = vm.createVcpu(0);
        } catch (RuntimeException | Error e) {
            k.close();
            arena.close();
            throw e;
        }
    }

    /** Skips the calling test, with the backend's own reason, when {@code backend} cannot run on this host. */
    static void assumeAvailable(Backend backend) {
        String reason;
        try {
            reason = backend.unavailableReason();
        } catch (RuntimeException | LinkageError e) {
            reason = "its implementation cannot be loaded (" + e + ")";
        }
        String why = reason;
        assumeTrue(why == null, () -> "backend " + backend.cliName() + " is not available here: " + why);
    }

    /** A VM with RAM at 0 and one vcpu, or the test is skipped when {@code backend} is unavailable. */
    static TestVm create(Backend backend) {
        assumeAvailable(backend);
        return new TestVm(backend);
    }

    /** Copies {@code program} to {@link GuestPrograms#CODE}. */
    TestVm load(GuestPrograms.Program program) {
        MemorySegment.copy(MemorySegment.ofArray(program.code()), 0, ram, GuestPrograms.CODE, program.code().length);
        return this;
    }

    /** Real mode, CS = DS = ... = 0, IP = {@code rip}, every general register 0, RFLAGS = 2. */
    TestVm realMode(long rip) {
        KvmSregs sregs = vcpu.getSregs();
        sregs.cs().base(0).selector(0);
        vcpu.setSregs(sregs);
        vcpu.setRegs(KvmRegs.allocate(arena).rip(rip).rflags(RFLAGS_FIXED));
        return this;
    }

    /**
     * 64-bit long mode as a loader sets it up: identity page tables for 0..2 MiB (one 2 MiB page) at {@link #PML4},
     * CR0.PE/PG, CR4.PAE, EFER.LME/LMA, a flat 64-bit code segment and flat data segments, and the CPUID the backend
     * supports. General registers 0, RIP = {@code rip}.
     */
    TestVm longMode(long rip) {
        ram.set(JAVA_LONG, PML4, PDPT | PTE_P | PTE_RW);
        ram.set(JAVA_LONG, PDPT, PD | PTE_P | PTE_RW);
        ram.set(JAVA_LONG, PD, PTE_P | PTE_RW | PDE_PS);
        vcpu.setCpuid2(kvm.supportedCpuid(arena));
        KvmSregs sregs = vcpu.getSregs();
        sregs.cr3(PML4);
        sregs.cr4(CR4_PAE);
        sregs.cr0(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG);
        sregs.efer(EFER_LME | EFER_LMA);
        flat(sregs.cs(), 1 << 3, 11).l(1).db(0);
        for (KvmSegment data : new KvmSegment[] {sregs.ds(), sregs.es(), sregs.fs(), sregs.gs(), sregs.ss()}) {
            flat(data, 2 << 3, 3).l(0).db(1);
        }
        vcpu.setSregs(sregs);
        vcpu.setRegs(KvmRegs.allocate(arena).rip(rip).rflags(RFLAGS_FIXED));
        return this;
    }

    private static KvmSegment flat(KvmSegment s, int selector, int type) {
        return s.base(0).limit(0xffffffff).selector(selector).type(type).present(1).dpl(0).s(1).g(1).avl(0)
                .unusable(0);
    }

    /** Runs until the next exit and checks it is {@code expected}, describing the exit and registers if not. */
    KvmRun runExpecting(ExitReason expected) {
        KvmRun run = vcpu.run();
        assertEquals(expected, run.exit(), () -> "after run(): " + describe(run));
        return run;
    }

    /** The exit, its payload and the registers, for failure messages. */
    String describe(KvmRun run) {
        StringBuilder s = new StringBuilder().append(run.exit()).append(" (").append(run.exitReason()).append(')');
        switch (run.exit()) {
            case IO -> s.append(" dir=").append(run.io().direction()).append(" size=").append(run.io().size())
                    .append(" port=0x").append(Integer.toHexString(run.io().port())).append(" count=")
                    .append(run.io().count());
            case MMIO -> s.append(" addr=0x").append(Long.toHexString(run.mmio().physAddr())).append(" len=")
                    .append(run.mmio().len()).append(" write=").append(run.mmio().isWrite());
            case INTERNAL_ERROR -> {
                s.append(" suberror=").append(run.internal().suberror()).append(" data=[");
                for (int i = 0; i < Math.min(run.internal().ndata(), 16); i++) {
                    s.append(" 0x").append(Long.toHexString(run.internal().data(i)));
                }
                s.append(" ]");
            }
            case FAIL_ENTRY -> s.append(" reason=0x")
                    .append(Long.toHexString(run.failEntry().hardwareEntryFailureReason()));
            case EXCEPTION -> s.append(" vector=").append(run.ex().exception()).append(" error=")
                    .append(run.ex().errorCode());
            default -> {
            }
        }
        try {
            s.append("; ").append(vcpu.getRegs());
        } catch (RuntimeException e) {
            s.append("; registers unavailable: ").append(e.getMessage());
        }
        return s.toString();
    }

    /** The CPUID the backend supports plus (or replacing) {@code extra}'s leaves, allocated in this VM's arena. */
    KvmCpuid2 supportedCpuidWith(int function, int eax, int ebx, int ecx, int edx) {
        KvmCpuid2 supported = kvm.supportedCpuid(arena);
        KvmCpuid2 table = KvmCpuid2.allocate(arena, supported.nent() + 1);
        int n = 0;
        for (int i = 0; i < supported.nent(); i++) {
            if (supported.entry(i).function() != function) {
                MemorySegment.copy(supported.entry(i).segment(), 0, table.entry(n++).segment(), 0,
                        supported.entry(i).segment().byteSize());
            }
        }
        table.entry(n++).function(function).index(0).flags(0).eax(eax).ebx(ebx).ecx(ecx).edx(edx);
        table.nent(n);
        return table;
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
