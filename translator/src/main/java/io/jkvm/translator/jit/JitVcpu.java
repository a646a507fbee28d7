package io.jkvm.translator.jit;

import io.jkvm.mmu.Access;
import io.jkvm.mmu.GuestMemory;
import io.jkvm.mmu.Mmu;
import io.jkvm.mmu.NonCanonicalAddressFault;
import io.jkvm.mmu.PageFault;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.CodeSize;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The run loop of one vcpu on the JIT: find the region for RIP (jump cache, then the VM's region cache, then
 * translate), run it, and act on what it returns, until something needs userspace.
 *
 * <p>The jump cache is a small direct-mapped array keyed by RIP, in front of the Caffeine cache (a profile of
 * QEMU TCG spent 13% in this lookup). It is flushed whenever virtual→physical translations may have changed (any
 * TLB flush), so a hit needs no page check; misses validate the pages a region was translated from.
 */
public final class JitVcpu {
    public static final int REQUEST_KICK = 1;
    public static final int REQUEST_INTERRUPT = 2;
    /** Leave generated code and re-sync the TLB (dirty-log harvest, see {@link #awaitTlbSync}). */
    public static final int REQUEST_TLB_SYNC = 4;
    private volatile boolean running;
    private volatile boolean syncRequested;
    private volatile long syncAcks;

    private static final int JUMP_CACHE_BITS = 12;
    /** {@code -Djkvm.rethrowInternalErrors=true}: let host exceptions from generated code propagate (debugging). */
    private static final boolean RETHROW_INTERNAL_ERRORS = Boolean.getBoolean("jkvm.rethrowInternalErrors");
    private static final int SINGLE_STEP_KEY = 1 << 16;

    public final CpuState cpu = new CpuState();
    private final Engine engine;
    private final GuestMemory memory;
    private final Mmu mmu;
    private final JitMemory mem;
    private final Region[] jumpCache = new Region[1 << JUMP_CACHE_BITS];
    private long seenEpoch;
    private long seenGeneration = -1;
    private ExceptionDelivery delivery;

    /** {@code KVM_GUESTDBG_SINGLESTEP}: exit with DEBUG after every instruction. */
    public volatile boolean singleStep;
    /** {@code kvm_run.request_interrupt_window}. */
    public boolean requestInterruptWindow;
    private volatile int pendingInterrupt = -1;
    /** System.nanoTime() of the first run() call, and nanoseconds until the first region ran; -1 until known. */
    private long firstRunNanos = -1;
    private long firstInstructionNanos = -1;

    /** Nanoseconds from the first {@link #run()} until the first guest instruction executed, or -1. */
    public long firstInstructionNanos() {
        return firstInstructionNanos;
    }

    public JitVcpu(Engine engine) {
        this.engine = engine;
        this.memory = engine.memory();
        this.mmu = new Mmu(memory);
        this.mem = new JitMemory(cpu, mmu);
        this.mem.listener = this::flushJumpCache;
        syncMode();
    }

    public JitMemory memory() {
        return mem;
    }

    public Mmu mmu() {
        return mmu;
    }

    public Engine engine() {
        return engine;
    }

    public void setExceptionDelivery(ExceptionDelivery d) {
        this.delivery = d;
    }

    /** After the VMM changed registers or sregs: re-derive paging and privilege. */
    public void syncMode() {
        if (!mmu.setPagingRegisters(cpu.cr0, cpu.cr3, cpu.cr4, cpu.efer)) {
            throw new IllegalArgumentException("invalid PAE PDPTEs for CR3 0x" + Long.toHexString(cpu.cr3));
        }
        mem.refreshPrivilege();
        flushJumpCache();
    }

    /**
     * Returns once this vcpu can no longer write guest memory through TLB entries older than this call: at once if
     * it is not running (the next run syncs before executing anything), else after it passed a sync point. KVM
     * gives the same guarantee with a remote TLB flush before {@code KVM_GET_DIRTY_LOG} returns.
     *
     * @return false if a running vcpu did not reach a sync point within {@code timeoutNanos}
     */
    public boolean awaitTlbSync(long timeoutNanos) {
        if (!running) {
            return true;
        }
        long ack = syncAcks;
        syncRequested = true;
        synchronized (this) {
            cpu.requests |= REQUEST_TLB_SYNC;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        while (running && syncAcks == ack) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /** Makes a run in progress return with INTR at the next region boundary or back-edge. Thread-safe. */
    public void kick() {
        synchronized (this) {
            cpu.requests |= REQUEST_KICK;
        }
    }

    /** {@code KVM_INTERRUPT}: queues an external interrupt; fails if one is already queued (EEXIST in KVM). */
    public synchronized boolean queueInterrupt(int vector) {
        if (pendingInterrupt >= 0) {
            return false;
        }
        pendingInterrupt = vector;
        cpu.requests |= REQUEST_INTERRUPT;
        return true;
    }

    public boolean interruptPending() {
        return pendingInterrupt >= 0;
    }

    /** Whether an external interrupt could be injected now (IF=1, no interrupt shadow). */
    public boolean readyForInterruptInjection() {
        return (cpu.rflags & Flags.IF) != 0 && !cpu.interruptShadow && pendingInterrupt < 0;
    }

    private void flushJumpCache() {
        java.util.Arrays.fill(jumpCache, null);
    }

    /**
     * Runs the guest until it needs userspace. Returns {@code cpu.exit}, describing why. The caller has completed
     * the previous exit (IN data, MMIO read data ...) before calling again.
     */
    public ExitRequest run() {
        running = true;
        try {
            return runLoop();
        } finally {
            running = false;
        }
    }

    private ExitRequest runLoop() {
        ExitRequest exit = cpu.exit;
        exit.clear();
        if (firstRunNanos < 0) {
            firstRunNanos = System.nanoTime();
        }
        while (true) {
            int req = cpu.requests;
            if (req != 0 && handleRequests()) {
                return exit;
            }
            if (cpu.instructions >= cpu.budgetLimit) {
                exit.kind = ExitRequest.Kind.BUDGET;
                return exit;
            }
            if (requestInterruptWindow && readyForInterruptInjection()) {
                exit.kind = ExitRequest.Kind.IRQ_WINDOW_OPEN;
                return exit;
            }
            long gen = memory.generation();
            if (gen != seenGeneration) {
                seenGeneration = gen;
                flushJumpCache();
            }
            // Slot changes, dirty-log clears and new code pages reach this vcpu's TLB here (three volatile reads).
            mmu.sync();
            if (syncRequested) {
                syncRequested = false;
                syncAcks++;
            }
            if (engine.invalidationEpoch != seenEpoch) {
                seenEpoch = engine.invalidationEpoch;
                flushJumpCache();
            }
            boolean oneInstruction = singleStep || cpu.interruptShadow;
            Region r;
            try {
                r = lookup(oneInstruction);
                if (r.provisional && ++r.executions == HOT_EXECUTIONS) {
                    // Entered often enough to be worth a full-size region (see TIER_ONE_INSTRUCTIONS).
                    r = promote(r);
                }
                if (!oneInstruction && cpu.budgetLimit - cpu.instructions < r.instructions) {
                    r = lookup(true);
                }
            } catch (GuestException e) {
                if (!deliver(e)) {
                    return exit;
                }
                continue;
            } catch (JitMemory.ExecuteFromMmio e) {
                exit.kind = ExitRequest.Kind.INTERNAL_ERROR;
                exit.suberror = 1; // KVM_INTERNAL_ERROR_EMULATION
                exit.reason = e.getMessage();
                return exit;
            }
            boolean shadow = cpu.interruptShadow;
            if (firstInstructionNanos < 0) {
                firstInstructionNanos = System.nanoTime() - firstRunNanos;
            }
            int status;
            try {
                status = r.code.execute(cpu, mem);
            } catch (RuntimeException | Error e) {
                if (RETHROW_INTERNAL_ERRORS) {
                    throw e;
                }
                // A host failure inside generated code is a jkvm bug: report it as KVM would report an
                // emulation failure instead of taking the host down. State is at the failing instruction.
                exit.kind = ExitRequest.Kind.INTERNAL_ERROR;
                exit.suberror = 1;
                exit.reason = "jkvm internal error at rip 0x" + Long.toHexString(cpu.rip) + ": " + e;
                exit.cause = e;
                return exit;
            }
            if (shadow) {
                cpu.interruptShadow = false;
            }
            switch (status) {
                case Status.EXIT -> {
                    cpu.pendingExit = 0;
                    return exit;
                }
                case Status.TRAP -> {
                    GuestException e = cpu.trap;
                    cpu.trap = null;
                    if (!deliver(e)) {
                        return exit;
                    }
                }
                default -> {
                    int pending = cpu.pendingExit;
                    if (pending != 0) {
                        cpu.pendingExit = 0;
                        if (pending == JitMemory.PENDING_MMIO_WRITE) {
                            return exit;
                        }
                    }
                }
            }
            if (singleStep) {
                exit.kind = ExitRequest.Kind.DEBUG;
                exit.debugException = GuestException.DB;
                exit.debugPc = cpu.rip;
                return exit;
            }
        }
    }

    /** Handles kicks and pending interrupts; returns true when run() must return. */
    private boolean handleRequests() {
        synchronized (this) {
            int req = cpu.requests;
            if ((req & REQUEST_TLB_SYNC) != 0) {
                // Leaving the region was the point: the loop syncs the TLB next and acknowledges.
                cpu.requests = req & ~REQUEST_TLB_SYNC;
                req = cpu.requests;
            }
            if ((req & REQUEST_KICK) != 0) {
                cpu.requests = req & ~REQUEST_KICK;
                cpu.exit.kind = ExitRequest.Kind.INTR;
                return true;
            }
        }
        if (pendingInterrupt >= 0 && (cpu.rflags & Flags.IF) != 0 && !cpu.interruptShadow) {
            int vector;
            synchronized (this) {
                vector = pendingInterrupt;
                pendingInterrupt = -1;
                cpu.requests &= ~REQUEST_INTERRUPT;
            }
            if (delivery == null) {
                cpu.exit.kind = ExitRequest.Kind.INTERNAL_ERROR;
                cpu.exit.reason = "no interrupt delivery configured";
                return true;
            }
            try {
                delivery.deliverExternal(cpu, mem, vector);
            } catch (GuestException e) {
                return !deliver(e);
            }
        }
        return false;
    }

    /** Vectors a guest exception; on a triple fault sets a SHUTDOWN exit and returns false. */
    private boolean deliver(GuestException e) {
        if (delivery == null || !delivery.deliverException(cpu, mem, e)) {
            cpu.exit.kind = ExitRequest.Kind.SHUTDOWN;
            cpu.exit.reason = (delivery == null ? "unhandled " : "triple fault after ") + describe(e)
                    + " at rip 0x" + Long.toHexString(cpu.rip);
            return false;
        }
        return true;
    }

    private static String describe(GuestException e) {
        String[] names = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "9", "#TS", "#NP", "#SS",
                "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM"};
        String n = e.vector() < names.length ? names[e.vector()] : "vector " + e.vector();
        return n + (e.hasErrorCode() ? "(0x" + Integer.toHexString(e.errorCode()) + ")" : "")
                + (e.getMessage() != null ? " [" + e.getMessage() + "]" : "");
    }

    // ------------------------------------------------------------------ region lookup

    private int modeKey(boolean oneInstruction) {
        int codeSize = cpu.codeSize();
        int stack = stackSize();
        return codeSize | cpu.cpl() << 4 | stack << 8 | (oneInstruction ? SINGLE_STEP_KEY : 0)
                | (sseUsable() ? SSE_KEY : 0) | (alignmentChecks() ? AC_KEY : 0);
    }

    private static final int SSE_KEY = 1 << 17;
    private static final int AC_KEY = 1 << 18;

    /** CR0.AM and EFLAGS.AC at CPL 3: misaligned data accesses raise #AC (SDM 6.15, interrupt 17). */
    private boolean alignmentChecks() {
        return (cpu.cr0 & CpuState.CR0_AM) != 0 && (cpu.rflags & Flags.AC) != 0 && cpu.cpl() == 3;
    }

    private boolean sseUsable() {
        return (cpu.cr0 & (CpuState.CR0_EM | CpuState.CR0_TS)) == 0 && (cpu.cr4 & CpuState.CR4_OSFXSR) != 0;
    }

    private int stackSize() {
        if (cpu.is64()) {
            return 8;
        }
        return (cpu.cr0 & CpuState.CR0_PE) != 0 && cpu.seg[CpuState.SS].db ? 4 : 2;
    }

    private long linear(long rip) {
        if (cpu.is64()) {
            return rip;
        }
        return (cpu.seg[CpuState.CS].base + rip) & 0xffffffffL;
    }

    private Region lookup(boolean oneInstruction) {
        long rip = cpu.rip;
        int mk = modeKey(oneInstruction);
        int h = jumpSlot(rip, oneInstruction);
        Region r = jumpCache[h];
        if (r != null && r.entryRip == rip && r.modeKey == mk && r.valid) {
            engine.stats().jumpCacheHits.increment();
            return r;
        }
        engine.stats().jumpCacheMisses.increment();
        boolean user = cpu.cpl() == 3;
        long gpa = fetchTranslate(linear(rip), user);
        Engine.Key key = new Engine.Key(gpa, rip, mk);
        r = engine.lookup(key);
        if (r == null || !r.valid || !stillMapped(r, user)) {
            r = translate(key, oneInstruction, user, oneInstruction ? 1 : TIER_ONE_INSTRUCTIONS);
        }
        jumpCache[h] = r;
        return r;
    }

    private int jumpSlot(long rip, boolean oneInstruction) {
        return (int) (rip ^ (rip >>> JUMP_CACHE_BITS) ^ (oneInstruction ? 1 : 0)) & (jumpCache.length - 1);
    }

    private long fetchTranslate(long linear, boolean user) {
        try {
            return mmu.translate(linear, Access.EXECUTE, user);
        } catch (PageFault pf) {
            throw GuestException.pf(pf.linearAddress(), pf.errorCode());
        } catch (NonCanonicalAddressFault nc) {
            throw GuestException.gp(0, "non-canonical RIP");
        }
    }

    private boolean stillMapped(Region r, boolean user) {
        for (int i = 0; i < r.pages.length; i += 2) {
            try {
                if ((fetchTranslate(r.pages[i], user) & ~0xfffL) != r.pages[i + 1]) {
                    return false;
                }
            } catch (GuestException e) {
                return false;
            }
        }
        return true;
    }

    /**
     * Tiered translation. Most code runs a few times (boot, initialisation, printing): translating it into large
     * regions costs more than running it, and small runs of guests were dominated by translation. An entry is first
     * translated as a small region; one the dispatcher enters {@link #HOT_EXECUTIONS} times is retranslated with
     * the full budget, so hot loops still become large regions that C2 compiles as a whole.
     */
    static final int TIER_ONE_INSTRUCTIONS = Integer.getInteger("jkvm.tier1.instructions", 48);
    static final int HOT_EXECUTIONS = Integer.getInteger("jkvm.tier2.executions", 200);

    private Region promote(Region small) {
        boolean user = cpu.cpl() == 3;
        Region big = translate(small.key, false, user, RegionCompiler.MAX_INSTRUCTIONS);
        jumpCache[jumpSlot(small.entryRip, false)] = big;
        return big;
    }

    private Region translate(Engine.Key key, boolean oneInstruction, boolean user, int budget) {
        long start = System.nanoTime();
        Map<Long, Long> pages = new LinkedHashMap<>();
        long ripBase = cpu.is64() ? 0 : cpu.seg[CpuState.CS].base;
        boolean wrap32 = !cpu.is64();
        CodeSource source = (rip, buf) -> {
            long lin = wrap32 ? (ripBase + rip) & 0xffffffffL : rip;
            return mem.fetch(lin, buf, buf.length, user, pages::put);
        };
        CodeSize mode = switch (cpu.codeSize()) {
            case 8 -> CodeSize.BITS64;
            case 4 -> CodeSize.BITS32;
            default -> CodeSize.BITS16;
        };
        RegionCompiler rc = new RegionCompiler(mode, cpu.cpl(), stackSize(), key.rip(), source, budget)
                .withSse(sseUsable())
                .withAlignmentChecks(alignmentChecks());
        RegionCompiler.Result result = rc.compile(Engine.nextClassName());
        // Mark the translated bytes as code so that stores to them take the slow path and invalidate the region.
        for (long[] range : result.codeRanges()) {
            for (long rip = range[0]; rip < range[1]; ) {
                long lin = wrap32 ? (ripBase + rip) & 0xffffffffL : rip;
                long inPage = Math.min(range[1] - rip, 0x1000 - (lin & 0xfff));
                Long phys = pages.get(lin & ~0xfffL);
                if (phys != null) {
                    memory.codeMap().markCode(phys + (lin & 0xfff), (int) inPage);
                }
                rip += inPage;
            }
        }
        mmu.sync();
        long[] pageArray = new long[pages.size() * 2];
        int i = 0;
        for (Map.Entry<Long, Long> e : pages.entrySet()) {
            pageArray[i++] = e.getKey();
            pageArray[i++] = e.getValue();
        }
        Region r = engine.install(key, result, pageArray, System.nanoTime() - start);
        // Provisional only when the budget, not the code's shape, ended it (a region that fits is final).
        r.provisional = !oneInstruction && budget < RegionCompiler.MAX_INSTRUCTIONS
                && result.instructions() >= budget;
        return r;
    }
}
