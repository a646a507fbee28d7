package io.jkvm.runtime.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jkvm.abi.ExitReason;
import io.jkvm.abi.IoDirection;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSregs;
import io.jkvm.runtime.devices.DebugExit;
import io.jkvm.runtime.devices.IoBus;
import io.jkvm.runtime.devices.MmioBus;
import io.jkvm.runtime.devices.Serial16550;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The run loop against a scripted vcpu: each step fills the run area as a backend would for one exit. */
class RunLoopTest {
    final Arena arena = Arena.ofConfined();
    final KvmRun run = KvmRun.allocate(arena);
    final KvmRegs regs = KvmRegs.allocate(arena);
    final KvmSregs sregs = KvmSregs.allocate(arena);
    final Deque<Consumer<KvmRun>> script = new ArrayDeque<>();
    /** What the VMM left in the run area after each exit, observed at the next run(). */
    final List<Long> observedInData = new ArrayList<>();

    final ByteArrayOutputStream serialOut = new ByteArrayOutputStream();
    final IoBus io = new IoBus();
    final MmioBus mmio = new MmioBus();
    final DebugExit debugExit = new DebugExit();
    RunLoop loop;

    RunLoopTest() {
        io.register("serial", 0x3f8, 8, new Serial16550(null, serialOut));
        io.register("debug-exit", 0xf4, 4, debugExit);
        VcpuPort port = new VcpuPort() {
            int runs;

            @Override
            public KvmRun run() {
                if (runs++ > 0 && run.exit() == ExitReason.IO && run.io().direction() == IoDirection.KVM_EXIT_IO_IN) {
                    long mask = (1L << (run.io().size() * 8)) - 1;
                    observedInData.add(run.segment().get(ValueLayout.JAVA_INT_UNALIGNED, KvmRun.PIO_DATA_OFFSET) & mask);
                }
                Consumer<KvmRun> step = script.poll();
                if (step == null) {
                    throw new AssertionError("the loop ran past the end of the script");
                }
                step.accept(run);
                return run;
            }

            @Override
            public KvmRegs regs() {
                return regs;
            }

            @Override
            public KvmSregs sregs() {
                return sregs;
            }
        };
        loop = new RunLoop(port, io, mmio, debugExit);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    void out(int port, int size, int value) {
        script.add(r -> {
            r.exit(ExitReason.IO);
            r.io().direction(IoDirection.KVM_EXIT_IO_OUT).size(size).port(port).count(1)
                    .dataOffset(KvmRun.PIO_DATA_OFFSET);
            r.segment().set(ValueLayout.JAVA_INT_UNALIGNED, KvmRun.PIO_DATA_OFFSET, value);
        });
    }

    void in(int port, int size) {
        script.add(r -> {
            r.exit(ExitReason.IO);
            r.io().direction(IoDirection.KVM_EXIT_IO_IN).size(size).port(port).count(1)
                    .dataOffset(KvmRun.PIO_DATA_OFFSET);
            r.segment().set(ValueLayout.JAVA_INT_UNALIGNED, KvmRun.PIO_DATA_OFFSET, 0);
        });
    }

    void exit(ExitReason reason) {
        script.add(r -> r.exit(reason));
    }

    @Test
    void serialOutputThenDebugExitEndsWithTheGuestStatus() {
        for (char c : "ok\n".toCharArray()) {
            in(0x3fd, 1);
            out(0x3f8, 1, c);
        }
        out(0xf4, 4, 0x103);
        Outcome o = loop.run();
        assertEquals(new Outcome.GuestExit(3), o);
        assertEquals("ok\n", serialOut.toString(StandardCharsets.US_ASCII));
        assertEquals(List.of(0x60L, 0x60L, 0x60L), observedInData, "LSR reads answered with THRE|TEMT");
        assertEquals(Map.of(ExitReason.IO, 7L), loop.exitsByReason());
        assertTrue(script.isEmpty());
    }

    @Test
    void unmappedPortsAnswerAllOnesAndTheRunGoesOn() {
        in(0xe0, 2);
        out(0xe0, 1, 0x12);
        regs.rip(0x1235).rflags(0x2);
        exit(ExitReason.HLT);
        assertEquals(new Outcome.Halted(0x1235, false), loop.run());
        assertEquals(List.of(0xffffL), observedInData);
        assertEquals(2, io.unmapped().total());
    }

    @Test
    void haltWithInterruptsEnabledIsReportedAsSuch() {
        regs.rip(0x10).rflags(0x202);
        exit(ExitReason.HLT);
        Outcome.Halted h = assertInstanceOf(Outcome.Halted.class, loop.run());
        assertTrue(h.interruptsEnabled());
        assertTrue(h.describe().contains("no device can interrupt it"), h.describe());
    }

    @Test
    void mmioReadsAreAnsweredThroughTheBus() {
        script.add(r -> {
            r.exit(ExitReason.MMIO);
            r.mmio().physAddr(0xd000_0004L).len(4).isWrite(0).data().fill((byte) 0);
        });
        script.add(r -> {
            assertEquals(0xffffffffL, r.mmio().data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            r.exit(ExitReason.SHUTDOWN);
        });
        regs.rip(0xdead).rsp(0x8000);
        sregs.cr0(0x80000011L).cr3(0x9000);
        sregs.cs().selector(8).l(1);
        Outcome.TripleFault t = assertInstanceOf(Outcome.TripleFault.class, loop.run());
        assertTrue(t.state().contains("RIP=0xdead"), t.state());
        assertTrue(t.state().contains("CR0=0x80000011"), t.state());
        assertTrue(t.state().contains("64-bit"), t.state());
        assertEquals(Map.of(ExitReason.MMIO, 1L, ExitReason.SHUTDOWN, 1L), loop.exitsByReason());
    }

    @Test
    void internalErrorsCarryTheirSuberrorAndData() {
        script.add(r -> {
            r.exit(ExitReason.INTERNAL_ERROR);
            r.internal().suberror(1).ndata(2).data(0, 0xabc).data(1, 7);
        });
        Outcome.InternalError e = assertInstanceOf(Outcome.InternalError.class, loop.run());
        assertEquals(1, e.suberror());
        assertEquals(List.of(0xabcL, 7L), e.data());
        assertTrue(e.describe().contains("suberror 1 EMULATION"), e.describe());
    }

    @Test
    void unenabledHypercallAndMsrExitsGetKvmsDefaultAnswer() {
        script.add(r -> {
            r.exit(ExitReason.HYPERCALL);
            r.hypercall().nr(12).ret(0);
        });
        script.add(r -> {
            assertEquals(-1000L, r.hypercall().ret(), "-KVM_ENOSYS");
            r.exit(ExitReason.X86_RDMSR);
            r.msr().index(0x1234).error(0);
        });
        script.add(r -> {
            assertEquals(1, r.msr().error(), "error=1 makes the backend inject #GP");
            r.exit(ExitReason.DEBUG);
        });
        Outcome.Unhandled u = assertInstanceOf(Outcome.Unhandled.class, loop.run());
        assertEquals("KVM_EXIT_DEBUG", u.reason());
        assertEquals(4, u.number());
    }

    @Test
    void aStopRequestEndsTheRunAtTheNextKick() {
        out(0x3f8, 1, 'a');
        script.add(r -> {
            loop.requestStop(new Outcome.TimedOut(Duration.ofMillis(5)));
            r.exit(ExitReason.INTR);
        });
        assertEquals(new Outcome.TimedOut(Duration.ofMillis(5)), loop.run());
        assertTrue(loop.firstExitNanos() >= 0);
    }

    @Test
    void aSpuriousIntrDoesNotEndTheRun() {
        exit(ExitReason.INTR);
        out(0xf4, 1, 0);
        assertEquals(new Outcome.GuestExit(0), loop.run());
    }
}
