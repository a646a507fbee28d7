package io.jkvm.translator.diff;

import io.jkvm.mmu.GuestMemory;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.cpu.SegmentRegister;
import io.jkvm.translator.jit.Engine;
import io.jkvm.translator.jit.ExceptionDelivery;
import io.jkvm.translator.jit.JitVcpu;
import io.jkvm.translator.jit.MemoryPort;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The side under test: a long-mode machine whose user address space is exactly the host executor's (the code
 * page and the scratch area at the same linear addresses, nothing else mapped), running each case at CPL 3 on the
 * JIT. Control registers are those of the Linux host the oracle runs on: paging with NX, CR0.AM set (so RFLAGS.AC
 * enables alignment checks at CPL 3, as it does for the host process), OSFXSR/OSXMMEXCPT.
 *
 * <p>The vcpu gets an {@link ExceptionDelivery} that records the exception and refuses delivery, so the run ends
 * with the state of the faulting instruction (SHUTDOWN), just as the host executor's signal handler sees it.
 */
final class JitExecutor implements AutoCloseable {
    /** Stops a runaway case; generated cases execute at most a few hundred instructions. */
    static final long INSTRUCTION_BUDGET = 100_000;

    private static final long PT_BASE = 0x1000;
    private static final long PML4 = PT_BASE, PDPT = PT_BASE + 0x1000, PD = PT_BASE + 0x2000;
    private static final long PT_CODE = PT_BASE + 0x3000, PT_SCRATCH = PT_BASE + 0x4000;
    private static final long P = 1, RW = 2, US = 4, NX = 1L << 63;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment low = arena.allocate(0x10000, 4096);
    private final MemorySegment code = arena.allocate(DiffLayout.CODE_SIZE, 4096);
    private final MemorySegment scratch = arena.allocate(DiffLayout.SCRATCH_SIZE, 4096);
    private final GuestMemory memory = new GuestMemory(8);
    private final Engine engine = new Engine(memory);

    JitExecutor() {
        memory.setUserMemoryRegion(0, 0, 0, low.byteSize(), low);
        memory.setUserMemoryRegion(1, 0, DiffLayout.CODE, DiffLayout.CODE_SIZE, code);
        memory.setUserMemoryRegion(2, 0, DiffLayout.SCRATCH, DiffLayout.SCRATCH_SIZE, scratch);
        memory.writeLong(PML4 + 8 * index(DiffLayout.CODE, 39), PDPT | P | RW | US);
        memory.writeLong(PDPT + 8 * index(DiffLayout.CODE, 30), PD | P | RW | US);
        if (index(DiffLayout.CODE, 30) != index(DiffLayout.SCRATCH, 30)) {
            throw new IllegalStateException("layout needs one more PD");
        }
        memory.writeLong(PD + 8 * index(DiffLayout.CODE, 21), PT_CODE | P | RW | US);
        memory.writeLong(PD + 8 * index(DiffLayout.SCRATCH, 21), PT_SCRATCH | P | RW | US);
        // The host maps the code page RWX and the scratch area RW (NX).
        memory.writeLong(PT_CODE + 8 * index(DiffLayout.CODE, 12), DiffLayout.CODE | P | RW | US);
        for (long off = 0; off < DiffLayout.SCRATCH_SIZE; off += 0x1000) {
            long va = DiffLayout.SCRATCH + off;
            memory.writeLong(PT_SCRATCH + 8 * index(va, 12), va | P | RW | US | NX);
        }
    }

    private static long index(long va, int shift) {
        return va >>> shift & 511;
    }

    /** Runs one case to its end; with {@code trace}, single-steps and records the state after each instruction. */
    Outcome run(DiffCase c, boolean trace) {
        code.fill(DiffLayout.CODE_FILL);
        MemorySegment.copy(c.code, 0, code, ValueLayout.JAVA_BYTE, 0, c.code.length);
        MemorySegment.copy(c.initial.scratch, 0, scratch, ValueLayout.JAVA_BYTE, 0, DiffLayout.SCRATCH_SIZE);
        engine.invalidateAll();
        JitVcpu vcpu = new JitVcpu(engine);
        CpuState cpu = vcpu.cpu;
        setUp(cpu, c.initial);
        vcpu.syncMode();
        GuestException[] raised = new GuestException[1];
        vcpu.setExceptionDelivery(new ExceptionDelivery() {
            @Override
            public boolean deliverException(CpuState cpu, MemoryPort mem, GuestException e) {
                raised[0] = e;
                return false;
            }

            @Override
            public void deliverExternal(CpuState cpu, MemoryPort mem, int vector) {
                throw new IllegalStateException("no interrupts in differential tests");
            }
        });
        vcpu.singleStep = trace;
        cpu.budgetLimit = INSTRUCTION_BUDGET;
        Outcome.Builder steps = new Outcome.Builder();
        while (true) {
            ExitRequest e;
            try {
                e = vcpu.run();
            } catch (RuntimeException | Error t) {
                return new Outcome(capture(cpu), Outcome.NOT_AN_EXCEPTION, 0, 0, "run() threw " + t);
            }
            if (e.kind == ExitRequest.Kind.DEBUG && trace) {
                steps.add(capture(cpu));
                continue;
            }
            Outcome o;
            if (e.kind == ExitRequest.Kind.SHUTDOWN && raised[0] != null) {
                GuestException g = raised[0];
                o = new Outcome(capture(cpu), g.vector(), g.errorCode(), g.address(), g.getMessage());
            } else {
                String why = e.kind + (e.reason != null ? ": " + e.reason : "")
                        + (e.cause != null ? " caused by " + e.cause : "");
                o = new Outcome(capture(cpu), Outcome.NOT_AN_EXCEPTION, 0, 0, why);
            }
            steps.addTo(o);
            return o;
        }
    }

    private static void setUp(CpuState c, MachineState s) {
        c.cr0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_ET | CpuState.CR0_NE | CpuState.CR0_WP
                | CpuState.CR0_AM | CpuState.CR0_MP;
        c.cr4 = CpuState.CR4_PAE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT | CpuState.CR4_PGE;
        c.cr3 = PML4;
        c.efer = CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_NXE | CpuState.EFER_SCE;
        for (int i = 0; i < 6; i++) {
            SegmentRegister r = c.seg[i];
            r.base = 0;
            r.limit = 0xffffffff;
            r.present = true;
            r.s = true;
            r.dpl = 3;
            r.g = true;
            r.unusable = false;
            // Linux's user segments: CS 0x33 (64-bit), SS 0x2b; the data segment registers hold null selectors.
            r.selector = i == CpuState.CS ? 0x33 : i == CpuState.SS ? 0x2b : 0;
            r.type = i == CpuState.CS ? 0xb : 3;
            r.l = i == CpuState.CS;
            r.db = i != CpuState.CS;
        }
        System.arraycopy(s.gpr, 0, c.gpr, 0, 16);
        c.rip = DiffLayout.CODE;
        c.setRflags(s.rflags);
        c.mxcsr = s.mxcsr;
        System.arraycopy(s.xmm, 0, c.xmm, 0, 32);
        c.instructions = 0;
    }

    private MachineState capture(CpuState c) {
        MachineState s = new MachineState();
        System.arraycopy(c.gpr, 0, s.gpr, 0, 16);
        s.rip = c.rip;
        s.rflags = c.getRflags();
        s.mxcsr = c.mxcsr;
        System.arraycopy(c.xmm, 0, s.xmm, 0, 32);
        s.scratch = scratch.toArray(ValueLayout.JAVA_BYTE);
        return s;
    }

    @Override
    public void close() {
        arena.close();
    }
}
