package io.jkvm.runtime.jit;

import io.jkvm.abi.Errno;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.GuestDebugFlags;
import io.jkvm.abi.KvmCpuid2;
import io.jkvm.abi.KvmCpuidEntry2;
import io.jkvm.abi.KvmEnableCap;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmFpu;
import io.jkvm.abi.KvmGuestDebug;
import io.jkvm.abi.KvmInterrupt;
import io.jkvm.abi.KvmMpState;
import io.jkvm.abi.KvmMsrs;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSregs;
import io.jkvm.abi.KvmTranslation;
import io.jkvm.mmu.Access;
import io.jkvm.runtime.spi.VcpuHandle;
import io.jkvm.runtime.vmm.BackendStatistics;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.VcpuConfig;
import io.jkvm.translator.jit.JitVcpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A vcpu on the JIT backend: runs {@link JitVcpu} and presents its exits in a {@code kvm_run} area laid out exactly
 * as KVM's, so that a VMM cannot tell the backends apart. Exits that need userspace data (IN, MMIO reads, CPUID and
 * MSR exits, hypercalls) are completed at the start of the next {@link #run()}, as KVM completes them.
 */
final class JitVcpuHandle implements VcpuHandle {
    private static final long DR6_SINGLE_STEP = 0xffff4ff0L;
    private static final long DR7_DEFAULT = 0x400;

    private final JitVm vm;
    private final int id;
    private final Arena arena = Arena.ofShared();
    private final KvmRun run;
    private final JitVcpu vcpu;
    private ExitRequest.Kind lastExit = ExitRequest.Kind.NONE;
    private boolean closed;

    JitVcpuHandle(JitVm vm, int id) {
        this.vm = vm;
        this.id = id;
        this.run = KvmRun.allocate(arena);
        this.vcpu = new JitVcpu(vm.engine());
        ExitCompletions.install(vcpu);
    }

    void applyVmSettings(JitVm vm) {
        VcpuConfig c = vcpu.cpu.config;
        c.userSpaceMsrReasons = vm.userSpaceMsrReasons;
        c.hypercallExitMask = vm.hypercallExitMask;
        c.cpuidExit = vm.cpuidExit;
    }

    JitVcpu engineVcpu() {
        return vcpu;
    }

    @Override
    public KvmRun runArea() {
        return run;
    }

    @Override
    public void run() {
        if (run.immediateExit() != 0) {
            run.exit(ExitReason.INTR);
            return;
        }
        completePreviousExit();
        if (shutdownPending) {
            shutdownPending = false;
            lastExit = ExitRequest.Kind.SHUTDOWN;
            run.exit(ExitReason.SHUTDOWN);
            return;
        }
        vcpu.requestInterruptWindow = run.requestInterruptWindow() != 0;
        ExitRequest e = vcpu.run();
        lastExit = e.kind;
        publish(e);
    }

    /** Takes what userspace wrote into the run area for the last exit and lets the instruction finish. */
    private void completePreviousExit() {
        ExitRequest e = vcpu.cpu.exit;
        switch (lastExit) {
            case IO -> {
                if (e.ioIn) {
                    MemorySegment.copy(run.io().data(), 0, MemorySegment.ofArray(e.data), 0,
                            (long) e.size * e.count);
                }
            }
            case MMIO -> {
                if (!e.mmioWrite) {
                    vcpu.memory().completeMmioRead(e.gpa, e.mmioLength, run.mmio().data()
                            .get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0));
                }
            }
            case CPUID -> {
                KvmRun.Cpuid c = run.cpuid();
                e.cpuidEax = c.eax();
                e.cpuidEbx = c.ebx();
                e.cpuidEcx = c.ecx();
                e.cpuidEdx = c.edx();
            }
            case RDMSR, WRMSR -> {
                e.msrData = run.msr().data();
                e.msrError = run.msr().error() != 0;
            }
            case HYPERCALL -> e.hypercallRet = run.hypercall().ret();
            default -> {
            }
        }
        ExitRequest.Kind k = lastExit;
        lastExit = ExitRequest.Kind.NONE;
        if (k != ExitRequest.Kind.NONE && !ExitCompletions.complete(vcpu, k)) {
            shutdownPending = true;
        }
    }

    /** Completing the last exit ended in a triple fault: the next run reports SHUTDOWN. */
    private boolean shutdownPending;

    /** Fills the run area from jkvm's exit record, field for field as KVM does. */
    private void publish(ExitRequest e) {
        CpuState cpu = vcpu.cpu;
        run.ifFlag((cpu.rflags & Flags.IF) != 0 ? 1 : 0);
        run.readyForInterruptInjection(vcpu.readyForInterruptInjection() ? 1 : 0);
        run.cr8(cpu.cr8);
        run.apicBase(cpu.apicBase);
        switch (e.kind) {
            case IO -> {
                run.exit(ExitReason.IO);
                KvmRun.Io io = run.io().direction(e.ioIn ? 0 : 1).size(e.size).port(e.port).count(e.count)
                        .dataOffset(KvmRun.PIO_DATA_OFFSET);
                if (!e.ioIn) {
                    MemorySegment.copy(MemorySegment.ofArray(e.data), 0, io.data(), 0, (long) e.size * e.count);
                }
            }
            case MMIO -> {
                run.exit(ExitReason.MMIO);
                KvmRun.Mmio m = run.mmio().physAddr(e.gpa).len(e.mmioLength).isWrite(e.mmioWrite ? 1 : 0);
                MemorySegment data = m.data();
                data.fill((byte) 0);
                if (e.mmioWrite) {
                    MemorySegment.copy(MemorySegment.ofArray(e.data), 0, data, 0, e.mmioLength);
                }
            }
            case HLT -> run.exit(ExitReason.HLT);
            case SHUTDOWN -> run.exit(ExitReason.SHUTDOWN);
            case INTR -> run.exit(ExitReason.INTR);
            case IRQ_WINDOW_OPEN -> run.exit(ExitReason.IRQ_WINDOW_OPEN);
            case BUDGET -> run.exit(ExitReason.JKVM_BUDGET);
            case DEBUG -> {
                run.exit(ExitReason.DEBUG);
                run.debug().exception(e.debugException).pc(e.debugPc).dr6(DR6_SINGLE_STEP).dr7(DR7_DEFAULT);
            }
            case CPUID -> {
                run.exit(ExitReason.JKVM_CPUID);
                run.cpuid().function(e.cpuidFunction).index(e.cpuidIndex).eax(0).ebx(0).ecx(0).edx(0);
            }
            case RDMSR, WRMSR -> {
                run.exit(e.kind == ExitRequest.Kind.RDMSR ? ExitReason.X86_RDMSR : ExitReason.X86_WRMSR);
                run.msr().error(0).index(e.msrIndex).data(e.msrData).reason(e.suberror);
            }
            case HYPERCALL -> {
                run.exit(ExitReason.HYPERCALL);
                KvmRun.Hypercall h = run.hypercall().nr(e.hypercallNr).ret(0).longmode(cpu.is64() ? 1 : 0);
                for (int i = 0; i < 6; i++) {
                    h.args(i, e.hypercallArgs[i]);
                }
            }
            case INTERNAL_ERROR -> {
                run.exit(ExitReason.INTERNAL_ERROR);
                run.internal().suberror(e.suberror).ndata(0);
            }
            default -> throw new IllegalStateException("exit kind " + e.kind + " has no kvm_run form");
        }
    }

    /** Why the last exit happened, in words (INTERNAL_ERROR and SHUTDOWN carry a reason). */
    String lastExitReason() {
        return vcpu.cpu.exit.reason;
    }

    @Override
    public void kick() {
        vcpu.kick();
    }

    @Override
    public void getRegs(KvmRegs regs) {
        StateMapper.getRegs(vcpu.cpu, regs);
    }

    @Override
    public void setRegs(KvmRegs regs) {
        // New registers from the VMM replace whatever instruction an exit left unfinished, as in KVM.
        io.jkvm.translator.jit.sys.ExitCompletion.abandon(vcpu.cpu);
        lastExit = ExitRequest.Kind.NONE;
        StateMapper.setRegs(vcpu.cpu, regs);
        vcpu.syncMode();
    }

    @Override
    public void getSregs(KvmSregs sregs) {
        StateMapper.getSregs(vcpu.cpu, sregs);
    }

    @Override
    public void setSregs(KvmSregs sregs) {
        CpuState cpu = vcpu.cpu;
        long cr0 = cpu.cr0, cr3 = cpu.cr3, cr4 = cpu.cr4, efer = cpu.efer;
        StateMapper.setSregs(cpu, sregs);
        try {
            vcpu.syncMode();
        } catch (IllegalArgumentException ex) {
            cpu.cr0 = cr0;
            cpu.cr3 = cr3;
            cpu.cr4 = cr4;
            cpu.efer = efer;
            vcpu.syncMode();
            throw new KvmException("KVM_SET_SREGS", Errno.EINVAL, ex.getMessage());
        }
    }

    @Override
    public void getFpu(KvmFpu fpu) {
        StateMapper.getFpu(vcpu.cpu, fpu);
    }

    @Override
    public void setFpu(KvmFpu fpu) {
        StateMapper.setFpu(vcpu.cpu, fpu);
    }

    @Override
    public int getMsrs(KvmMsrs msrs) {
        int n = msrs.nmsrs();
        for (int i = 0; i < n; i++) {
            var entry = msrs.entry(i);
            Long v = MsrTable.get(vcpu.cpu, entry.index());
            if (v == null) {
                return i;
            }
            entry.data(v);
        }
        return n;
    }

    @Override
    public int setMsrs(KvmMsrs msrs) {
        int n = msrs.nmsrs();
        for (int i = 0; i < n; i++) {
            var entry = msrs.entry(i);
            if (!MsrTable.set(vcpu.cpu, entry.index(), entry.data())) {
                return i;
            }
        }
        vcpu.syncMode();
        return n;
    }

    @Override
    public void setCpuid2(KvmCpuid2 cpuid) {
        int n = cpuid.nent();
        if (n > 256) {
            throw new KvmException("KVM_SET_CPUID2", Errno.E2BIG, n + " entries, KVM allows at most 256");
        }
        List<VcpuConfig.CpuidEntry> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            KvmCpuidEntry2 e = cpuid.entry(i);
            list.add(new VcpuConfig.CpuidEntry(e.function(), e.index(), e.flags(), e.eax(), e.ebx(), e.ecx(),
                    e.edx()));
        }
        vcpu.cpu.config.cpuid = List.copyOf(list);
    }

    @Override
    public void getCpuid2(KvmCpuid2 cpuid) {
        List<VcpuConfig.CpuidEntry> list = vcpu.cpu.config.cpuid;
        if (cpuid.nent() < list.size()) {
            throw new KvmException("KVM_GET_CPUID2", Errno.E2BIG,
                    "the buffer holds " + cpuid.nent() + " entries, " + list.size() + " are set");
        }
        for (int i = 0; i < list.size(); i++) {
            VcpuConfig.CpuidEntry e = list.get(i);
            cpuid.entry(i).function(e.function()).index(e.index()).flags(e.flags()).eax(e.eax()).ebx(e.ebx())
                    .ecx(e.ecx()).edx(e.edx());
        }
        cpuid.nent(list.size());
    }

    @Override
    public void translate(KvmTranslation t) {
        // As KVM on x86: physical address and validity from a supervisor read walk; writeable is reported as 1
        // and usermode as 0 whatever the page permissions are.
        try {
            long gpa = vcpu.mmu().translate(t.linearAddress(), Access.READ, false);
            t.physicalAddress(gpa).valid(1).writeable(1).usermode(0);
        } catch (RuntimeException fault) {
            t.physicalAddress(-1L).valid(0).writeable(0).usermode(0);
        }
    }

    @Override
    public void interrupt(KvmInterrupt interrupt) {
        int irq = interrupt.irq();
        if (irq < 0 || irq > 255) {
            throw new KvmException("KVM_INTERRUPT", Errno.EINVAL, "vector " + irq + " is not in 0..255");
        }
        if (!vcpu.queueInterrupt(irq)) {
            throw new KvmException("KVM_INTERRUPT", Errno.EEXIST,
                    "an interrupt is already queued; wait for ready_for_interrupt_injection");
        }
    }

    @Override
    public void setGuestDebug(KvmGuestDebug debug) {
        int control = debug.control();
        boolean enable = (control & GuestDebugFlags.KVM_GUESTDBG_ENABLE) != 0;
        vcpu.singleStep = enable && (control & GuestDebugFlags.KVM_GUESTDBG_SINGLESTEP) != 0;
    }

    @Override
    public void getMpState(KvmMpState state) {
        state.mpState(0);
    }

    @Override
    public void setMpState(KvmMpState state) {
        if (state.mpState() != 0) {
            throw new KvmException("KVM_SET_MP_STATE", Errno.EINVAL,
                    "the jit backend has no in-kernel irqchip: only KVM_MP_STATE_RUNNABLE is valid");
        }
    }

    @Override
    public int enableCap(KvmEnableCap cap) {
        throw new KvmException("KVM_ENABLE_CAP", Errno.EINVAL,
                "capability " + cap.cap() + " cannot be enabled on a vcpu of the jit backend; enable it on the VM");
    }

    @Override
    public Map<String, Object> statistics() {
        var s = vcpu.engine().stats();
        var cache = vcpu.engine().cacheStats();
        Map<String, Object> m = new LinkedHashMap<>();
        long hits = s.jumpCacheHits() + cache.hitCount();
        long lookups = s.jumpCacheHits() + s.jumpCacheMisses();
        m.put(BackendStatistics.GUEST_INSTRUCTIONS, vcpu.cpu.instructions);
        if (vcpu.firstInstructionNanos() >= 0) {
            m.put(BackendStatistics.FIRST_INSTRUCTION_NANOS, vcpu.firstInstructionNanos());
        }
        m.put(BackendStatistics.BLOCKS_TRANSLATED, s.regionsTranslated());
        m.put(BackendStatistics.TRANSLATION_NANOS, s.translationNanos());
        m.put(BackendStatistics.CACHE_HIT_RATE, lookups == 0 ? 0.0 : (double) hits / lookups);
        m.put("instructions_translated", s.instructionsTranslated());
        m.put("bytecode_bytes", s.bytecodeBytes());
        m.put("jump_cache_hits", s.jumpCacheHits());
        m.put("jump_cache_misses", s.jumpCacheMisses());
        m.put("region_cache_hits", cache.hitCount());
        m.put("region_cache_misses", cache.missCount());
        m.put("region_cache_evictions", cache.evictionCount());
        m.put("code_invalidations", s.invalidations());
        return m;
    }

    @Override
    public long instructionsRetired() {
        return vcpu.cpu.instructions;
    }

    @Override
    public void setInstructionBudget(long limit) {
        vcpu.cpu.budgetLimit = limit;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        vm.forget(id);
        arena.close();
    }
}
