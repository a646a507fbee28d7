package io.jkvm.runtime.hardware;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jkvm.abi.Errno;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HardwareVcpu}'s run/kick/close protocol on a host without {@code /dev/kvm}: the vcpu fd is a file of the
 * run area's size (so the mapping is real) and {@code KVM_RUN} is a model of what KVM does with
 * {@code immediate_exit} and a pending unblocked signal. The signals, masks, {@code pthread_kill} and
 * {@code sigtimedwait} are the real ones. The model differs from KVM in one respect: it sees the kick signal by
 * polling {@code sigpending} instead of having it unblocked, which is what KVM_SET_SIGNAL_MASK arranges.
 */
class KickProtocolTest {
    private static final long AREA = KvmRun.DEFAULT_MMAP_SIZE;
    private static final int KICK = KickSignal.number();

    /** What KVM does at KVM_RUN, for the kick protocol: immediate_exit, signals, and a guest that can exit. */
    static final class ModelKvm implements VcpuKernel {
        final Semaphore entered = new Semaphore(0);
        final AtomicInteger runs = new AtomicInteger();
        final AtomicInteger immediateExits = new AtomicInteger();
        final AtomicInteger masksSet = new AtomicInteger();
        volatile long lastMask;
        volatile int lastMaskLen;
        /** The "guest" exits with HLT when set (and clears it). */
        volatile boolean halt;
        /** While false the model does not look at signals (a guest stuck in a long instruction). */
        volatile boolean honourSignals = true;
        /** Fail the next run with this errno instead. */
        volatile int failWith;

        @Override
        public int run(MemorySegment capture, int fd, KvmRun run) {
            runs.incrementAndGet();
            if (failWith != 0) {
                Native.errno(capture, failWith);
                failWith = 0;
                return -1;
            }
            if (run.immediateExit() != 0) {
                immediateExits.incrementAndGet();
                Native.errno(capture, Errno.EINTR.number());
                return -1;
            }
            entered.release();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment pending = arena.allocate(Native.SIGSET_T_BYTES, 8);
                while (true) {
                    if (honourSignals) {
                        Native.sigpending(pending);
                        if (Native.sigismember(pending, KICK)) {
                            Native.errno(capture, Errno.EINTR.number());
                            return -1;
                        }
                    }
                    if (halt) {
                        halt = false;
                        run.exit(ExitReason.HLT);
                        return 0;
                    }
                    if (Thread.currentThread().isVirtual()) {
                        Thread.onSpinWait(); // stay mounted, as a thread inside the real ioctl is pinned
                    } else {
                        LockSupport.parkNanos(200_000);
                    }
                }
            }
        }

        @Override
        public int setSignalMask(MemorySegment capture, int fd, MemorySegment mask) {
            masksSet.incrementAndGet();
            lastMaskLen = mask.get(JAVA_INT_UNALIGNED, 0);
            lastMask = mask.get(JAVA_LONG_UNALIGNED, 4);
            return 0;
        }
    }

    @TempDir
    Path dir;
    private ModelKvm kvm;
    private HardwareVcpu vcpu;
    private int fdNumber;

    @BeforeEach
    void createVcpu() throws IOException {
        Path file = dir.resolve("kvm-vcpu");
        Files.write(file, new byte[(int) AREA]);
        fdNumber = Native.open(file.toString(), Native.O_RDWR, "open model vcpu fd");
        kvm = new ModelKvm();
        vcpu = new HardwareVcpu(0, fdNumber, AREA, kvm);
    }

    @AfterEach
    void closeVcpu() {
        vcpu.close();
    }

    private CompletableFuture<ExitReason> runAsync() {
        return runAsync(Thread.ofPlatform().name("vcpu-runner"));
    }

    private CompletableFuture<ExitReason> runAsync(Thread.Builder builder) {
        CompletableFuture<ExitReason> f = new CompletableFuture<>();
        builder.start(() -> {
            try {
                vcpu.run();
                f.complete(vcpu.runArea().exit());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    private void awaitEntered() throws InterruptedException {
        assertTrue(kvm.entered.tryAcquire(10, TimeUnit.SECONDS), "the run never entered the model");
    }

    @Test
    void kickDuringRunEndsItWithExitIntr() throws Exception {
        CompletableFuture<ExitReason> run = runAsync();
        awaitEntered();
        Thread.sleep(20);
        assertFalse(run.isDone(), "the guest spins until kicked");
        vcpu.kick();
        assertEquals(ExitReason.INTR, run.get(10, TimeUnit.SECONDS));
        assertEquals(0, vcpu.runArea().immediateExit(), "cleared after the kick was consumed");
        assertEquals(0, kvm.immediateExits.get(), "ended by the signal, not immediate_exit");
    }

    @Test
    void aRunOnAVirtualThreadIsKickedOnItsCarrier() throws Exception {
        for (int i = 0; i < 3; i++) {
            CompletableFuture<ExitReason> run = runAsync(Thread.ofVirtual().name("virtual-vcpu-runner"));
            awaitEntered();
            vcpu.kick();
            assertEquals(ExitReason.INTR, run.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void kickBeforeRunEndsTheNextRunAtOnceAndOnlyThatOne() throws Exception {
        vcpu.kick();
        vcpu.run();
        assertEquals(ExitReason.INTR, vcpu.runArea().exit());
        assertEquals(1, kvm.immediateExits.get(), "KVM saw immediate_exit");
        assertEquals(0, vcpu.runArea().immediateExit());
        // The next run is not interrupted: it runs until the guest halts.
        CompletableFuture<ExitReason> run = runAsync();
        awaitEntered();
        Thread.sleep(20);
        assertFalse(run.isDone());
        kvm.halt = true;
        assertEquals(ExitReason.HLT, run.get(10, TimeUnit.SECONDS));
    }

    @Test
    void eintrOverwritesAStaleExitReason() {
        vcpu.runArea().exit(ExitReason.IO);
        vcpu.kick();
        vcpu.run();
        assertEquals(ExitReason.INTR, vcpu.runArea().exit());
    }

    @Test
    void kvmGetsTheThreadMaskWithoutTheKickSignalOncePerThread() throws Exception {
        kvm.halt = true;
        vcpu.run();
        kvm.halt = true;
        vcpu.run();
        assertEquals(1, kvm.masksSet.get(), "same thread, same mask: set once");
        assertEquals(8, kvm.lastMaskLen, "the kernel's sizeof(sigset_t)");
        assertEquals(0, kvm.lastMask & (1L << (KICK - 1)), "the kick signal is unblocked inside KVM_RUN");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment now = arena.allocate(Native.SIGSET_T_BYTES, 8);
            Native.pthreadSigmask(Native.SIG_BLOCK, arena.allocate(Native.SIGSET_T_BYTES, 8).fill((byte) 0), now);
            assertTrue(Native.sigismember(now, KICK), "and blocked in the vcpu thread outside it");
            long thread = now.get(JAVA_LONG_UNALIGNED, 0);
            assertEquals(thread & ~(1L << (KICK - 1)), kvm.lastMask, "otherwise the thread's own mask");
        }
    }

    @Test
    void manyConcurrentKicksCoalesceIntoOneExit() throws Exception {
        kvm.honourSignals = false;
        CompletableFuture<ExitReason> run = runAsync();
        awaitEntered();
        List<Thread> kickers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int k = 0; k < 4; k++) {
            kickers.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < 50; i++) {
                    vcpu.kick();
                }
            }));
        }
        go.countDown();
        for (Thread t : kickers) {
            t.join();
        }
        kvm.honourSignals = true;
        assertEquals(ExitReason.INTR, run.get(10, TimeUnit.SECONDS));
        // Nothing left over: no pending signal, no immediate_exit, no pending kick.
        CompletableFuture<ExitReason> next = runAsync();
        awaitEntered();
        kvm.halt = true;
        assertEquals(ExitReason.HLT, next.get(10, TimeUnit.SECONDS));
        assertEquals(0, kvm.immediateExits.get());
    }

    @Test
    void closeDuringRunDefersTheReleaseUntilTheRunReturns() throws Exception {
        kvm.honourSignals = false;
        CompletableFuture<ExitReason> run = runAsync();
        awaitEntered();
        vcpu.close();
        assertFalse(vcpu.isReleased(), "the run still uses the fd and the mapping");
        assertTrue(Files.exists(Path.of("/proc/self/fd/" + fdNumber)));
        kvm.honourSignals = true;
        CompletableFuture<Throwable> outcome = run.handle((r, t) -> t);
        outcome.get(10, TimeUnit.SECONDS);
        assertTrue(vcpu.isReleased());
        assertThrows(IllegalStateException.class, () -> vcpu.runArea().exitReason(),
                "the unmapped run area is not reachable any more");
        KvmException e = assertThrows(KvmException.class, vcpu::run);
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("KVM_RUN", e.operation());
        vcpu.kick(); // a no-op now
        vcpu.close(); // idempotent
    }

    @Test
    void closeWithoutRunReleasesAtOnce() {
        vcpu.close();
        assertTrue(vcpu.isReleased());
        try (Arena arena = Arena.ofConfined()) {
            KvmRegs regs = KvmRegs.allocate(arena);
            KvmException e = assertThrows(KvmException.class, () -> vcpu.getRegs(regs));
            assertEquals(Errno.EBADF, e.errno());
            assertEquals("KVM_GET_REGS", e.operation());
        }
    }

    @Test
    void theRunPathAllocatesNothing() throws IOException {
        // A model whose guest halts at once and which allocates nothing itself.
        VcpuKernel halting = new VcpuKernel() {
            @Override
            public int run(MemorySegment capture, int fd, KvmRun run) {
                run.exit(ExitReason.HLT);
                return 0;
            }

            @Override
            public int setSignalMask(MemorySegment capture, int fd, MemorySegment mask) {
                return 0;
            }
        };
        Path file = dir.resolve("kvm-vcpu-2");
        Files.write(file, new byte[(int) AREA]);
        HardwareVcpu v = new HardwareVcpu(1, Native.open(file.toString(), Native.O_RDWR, "open"), AREA, halting);
        try {
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long self = Thread.currentThread().threadId();
            for (int i = 0; i < 20_000; i++) { // warm up: class init, linkage, JIT
                v.run();
            }
            int runs = 20_000;
            long before = mx.getThreadAllocatedBytes(self);
            for (int i = 0; i < runs; i++) {
                v.run();
            }
            long perRun = (mx.getThreadAllocatedBytes(self) - before) / runs;
            assertTrue(perRun < 8, "run() allocated " + perRun + " bytes per call");
        } finally {
            v.close();
        }
    }

    @Test
    void otherRunErrorsAreThrownWithTheirErrno() {
        kvm.failWith = Errno.EFAULT.number();
        KvmException e = assertThrows(KvmException.class, vcpu::run);
        assertEquals(Errno.EFAULT, e.errno());
        assertEquals("KVM_RUN", e.operation());
        assertTrue(e.getMessage().contains("userspace backing"), e.getMessage());
    }
}
