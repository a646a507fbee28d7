package io.jkvm.translator.jit.sse;

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
import java.util.List;

/**
 * The system under test: jkvm's JIT running the same instruction bytes as {@link HostCpu}, on the same inputs, in a
 * small 64-bit machine (identity-mapped RAM, CPL 0, CR4.OSFXSR and OSXMMEXCPT set as Linux sets them). Each
 * instruction form sits at its own address followed by HLT, so its region is compiled once and reused.
 *
 * <p>Memory operands: RDI, which the tests point into the host's data buffer, is rebased onto {@link #DATA}, so the
 * same offsets reach the same bytes. A guest exception is recorded (no IDT is needed) and reported as the signal Linux
 * would send for it.
 */
final class GuestCpu implements AutoCloseable {
    static final long CODE = 0x100000;
    static final long DATA = 0x300000;
    static final long STACK_TOP = 0x200000;
    static final long RAM = 16 << 20;
    private static final int SLOT = 64;

    private final Arena arena = Arena.ofShared();
    private final GuestMemory memory = new GuestMemory(8);
    private final JitVcpu vcpu;
    private final long hostBase;
    private GuestException lastException;
    private int forms;

    GuestCpu(long hostBase) {
        this.hostBase = hostBase;
        MemorySegment ram = arena.allocate(RAM, 4096);
        memory.setUserMemoryRegion(0, 0, 0, RAM, ram);
        // PML4[0] -> PDPT at 0x2000 -> PD at 0x3000 -> 2 MiB pages (P|RW|US|PS).
        memory.writeLong(0x1000, 0x2000 | 7);
        memory.writeLong(0x2000, 0x3000 | 7);
        for (int i = 0; i < 8; i++) {
            memory.writeLong(0x3000 + 8L * i, ((long) i << 21) | 0x87);
        }
        vcpu = new JitVcpu(new Engine(memory));
        vcpu.setExceptionDelivery(new ExceptionDelivery() {
            @Override
            public boolean deliverException(CpuState cpu, MemoryPort mem, GuestException e) {
                lastException = e;
                return false;
            }

            @Override
            public void deliverExternal(CpuState cpu, MemoryPort mem, int vector) {
                throw new IllegalStateException("no interrupts in this machine");
            }
        });
        CpuState c = vcpu.cpu;
        c.cr0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_ET | CpuState.CR0_NE | CpuState.CR0_MP;
        c.cr4 = CpuState.CR4_PAE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;
        c.cr3 = 0x1000;
        c.efer = CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_NXE;
        for (int i = 0; i < 6; i++) {
            SegmentRegister s = c.seg[i];
            s.base = 0;
            s.limit = 0xffffffff;
            s.present = true;
            s.s = true;
            s.dpl = 0;
            s.g = true;
            s.selector = i == CpuState.CS ? 8 : 16;
            s.type = i == CpuState.CS ? 0xb : 3;
            s.l = i == CpuState.CS;
            s.db = i != CpuState.CS;
        }
        vcpu.syncMode();
    }

    CpuState cpu() {
        return vcpu.cpu;
    }

    /**
     * Skips a test whose instructions the decoder still marks {@code DECODE_ONLY} (the x87 control instructions and
     * EMMS, until the decoder lets them through to their emitters).
     */
    static void assumeExecuted(io.jkvm.translator.decoder.Mnemonic... mnemonics) {
        for (var m : mnemonics) {
            org.junit.jupiter.api.Assumptions.assumeFalse(m.is(io.jkvm.translator.decoder.Attribute.DECODE_ONLY),
                    () -> m + " is still DECODE_ONLY in the decoder");
        }
    }

    /** The guest exception the last {@link #run} ended with, or null. */
    GuestException lastException() {
        return lastException;
    }

    /** Places instruction sequences at their own addresses, each followed by HLT; returns their indices. */
    int place(byte[] code) {
        if (code.length > SLOT - 1) {
            throw new IllegalArgumentException("code too long");
        }
        int i = forms++;
        byte[] withHlt = java.util.Arrays.copyOf(code, code.length + 1);
        withHlt[code.length] = (byte) 0xf4;
        memory.writeBytes(CODE + (long) SLOT * i, withHlt);
        return i;
    }

    private long toGuest(int reg, long v) {
        return reg == CpuState.RDI ? v - hostBase + DATA : v;
    }

    private long toHost(int reg, long v) {
        return reg == CpuState.RDI ? v - DATA + hostBase : v;
    }

    /** Runs form {@code index} on the inputs in {@code e}, replacing them with the outputs. */
    void run(int index, HostCpu.Exec e) {
        CpuState c = vcpu.cpu;
        System.arraycopy(e.xmm, 0, c.xmm, 0, 32);
        for (int i = 0; i < 16; i++) {
            if (i != CpuState.RSP) {
                c.gpr[i] = toGuest(i, e.gpr[i]);
            }
        }
        c.gpr[CpuState.RSP] = STACK_TOP;
        c.mxcsr = e.mxcsr;
        c.setRflags(e.rflags);
        memory.writeBytes(DATA, e.mem);
        c.rip = CODE + (long) SLOT * index;
        lastException = null;
        ExitRequest exit = vcpu.run();
        e.signal = 0;
        if (exit.kind == ExitRequest.Kind.SHUTDOWN && lastException != null) {
            e.signal = signalFor(lastException);
        } else if (exit.kind != ExitRequest.Kind.HLT) {
            throw new AssertionError("unexpected exit " + exit.kind + ": " + exit.reason, exit.cause);
        }
        System.arraycopy(c.xmm, 0, e.xmm, 0, 32);
        for (int i = 0; i < 16; i++) {
            if (i != CpuState.RSP) {
                e.gpr[i] = toHost(i, c.gpr[i]);
            }
        }
        e.mxcsr = c.mxcsr;
        e.rflags = c.getRflags();
        memory.readBytes(DATA, e.mem, 0, e.mem.length);
    }

    /** The signal Linux sends a user process for a guest exception. */
    static int signalFor(GuestException e) {
        return switch (e.vector()) {
            case GuestException.XM, GuestException.MF, GuestException.DE -> HostCpu.SIGFPE;
            case GuestException.UD -> HostCpu.SIGILL;
            case GuestException.AC -> HostCpu.SIGBUS;
            default -> HostCpu.SIGSEGV;
        };
    }

    @Override
    public void close() {
        arena.close();
    }

    static List<HostCpu.Exec> copy(List<HostCpu.Exec> execs) {
        return execs.stream().map(GuestCpu::copy).toList();
    }

    static HostCpu.Exec copy(HostCpu.Exec e) {
        HostCpu.Exec c = new HostCpu.Exec(e.code);
        c.mxcsr = e.mxcsr;
        c.rflags = e.rflags;
        System.arraycopy(e.xmm, 0, c.xmm, 0, 32);
        System.arraycopy(e.gpr, 0, c.gpr, 0, 16);
        System.arraycopy(e.mem, 0, c.mem, 0, e.mem.length);
        return c;
    }
}
