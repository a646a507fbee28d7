package io.jkvm.runtime.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kick signal: which one, and the libc plumbing (block, send to a thread, drain) on this host. */
class KickSignalTest {

    @Test
    void specificationsParse() {
        assertEquals(60, KickSignal.parse(null, 34, 64), "default SIGRTMAX-4");
        assertEquals(60, KickSignal.parse(" ", 34, 64));
        assertEquals(37, KickSignal.parse("SIGRTMIN+3", 34, 64));
        assertEquals(34, KickSignal.parse("sigrtmin", 34, 64));
        assertEquals(60, KickSignal.parse("SIGRTMAX-4", 34, 64));
        assertEquals(50, KickSignal.parse("50", 34, 64));
    }

    @Test
    void onlyRealTimeSignalsAreAccepted() {
        for (String bad : new String[] {"10", "12", "33", "65", "SIGRTMAX+1", "SIGRTMIN-1", "SIGUSR1", "RT"}) {
            KvmException e = assertThrows(KvmException.class, () -> KickSignal.parse(bad, 34, 64), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
            assertTrue(e.getMessage().contains(KickSignal.PROPERTY), e.getMessage());
        }
    }

    @Test
    void theChosenSignalIsARealTimeSignalWithoutHandlerEvenAfterNioRan(@TempDir Path dir) throws IOException {
        // NIO file channels make the JDK install its interrupt signal handler (SIGRTMAX - 2).
        try (FileChannel ch = FileChannel.open(dir.resolve("f"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}));
        }
        int sig = KickSignal.number();
        assertTrue(sig >= Native.sigrtmin() && sig <= Native.sigrtmax(), "signal " + sig);
        KickSignal.checkUnclaimed(sig);
    }

    @Test
    void aSignalWithAHandlerIsRefused(@TempDir Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("f"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}));
        }
        int nio = Native.sigrtmax() - 2;
        assumeTrue(Native.signalHandler(nio) > 1, "the JDK's NIO did not install its signal handler here");
        KvmException e = assertThrows(KvmException.class, () -> KickSignal.checkUnclaimed(nio));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains(KickSignal.PROPERTY), e.getMessage());
    }

    @Test
    void aBlockedKickStaysPendingUntilDrainedAndKillsNobody() throws Exception {
        int sig = KickSignal.number();
        AtomicLong target = new AtomicLong();
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch sent = new CountDownLatch(1);
        CompletableFuture<int[]> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("kick-target").start(() -> {
            try (Arena arena = Arena.ofConfined()) {
                KickChannel channel = new KickChannel(sig, arena);
                long mask = channel.blockInCurrentThread();
                target.set(Native.pthreadSelf());
                blocked.countDown();
                sent.await();
                MemorySegment pending = arena.allocate(Native.SIGSET_T_BYTES, 8);
                Native.sigpending(pending);
                boolean wasPending = Native.sigismember(pending, sig);
                int first = channel.drain();
                int second = channel.drain();
                Native.sigpending(pending);
                boolean stillPending = Native.sigismember(pending, sig);
                // Still blocked after all this.
                MemorySegment now = arena.allocate(Native.SIGSET_T_BYTES, 8);
                Native.pthreadSigmask(Native.SIG_BLOCK, arena.allocate(Native.SIGSET_T_BYTES, 8).fill((byte) 0),
                        now);
                result.complete(new int[] {wasPending ? 1 : 0, first, second, stillPending ? 1 : 0,
                        Native.sigismember(now, sig) ? 1 : 0, (mask & (1L << (sig - 1))) == 0 ? 1 : 0});
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        assertTrue(blocked.await(10, TimeUnit.SECONDS));
        try (Arena arena = Arena.ofConfined()) {
            KickChannel sender = new KickChannel(sig, arena);
            for (int i = 0; i < 3; i++) {
                assertEquals(0, sender.send(target.get()));
            }
        }
        sent.countDown();
        int[] r = result.get(10, TimeUnit.SECONDS);
        t.join();
        assertEquals(1, r[0], "the signal is pending in the target thread");
        assertEquals(3, r[1], "real-time signals queue: three sent, three taken");
        assertEquals(0, r[2], "nothing left");
        assertEquals(0, r[3], "not pending any more");
        assertEquals(1, r[4], "still blocked");
        assertEquals(1, r[5], "the mask for KVM_RUN never contains the kick signal");
    }

    @Test
    void drainingWithNothingPendingReturnsAtOnce() {
        try (Arena arena = Arena.ofConfined()) {
            KickChannel channel = new KickChannel(KickSignal.number(), arena);
            channel.blockInCurrentThread();
            long t0 = System.nanoTime();
            assertEquals(0, channel.drain());
            assertFalse(System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(1), "zero timeout");
        }
    }
}
