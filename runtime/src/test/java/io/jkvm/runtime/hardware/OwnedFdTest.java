package io.jkvm.runtime.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The use-counted fd: close during a use defers, acquire after close is EBADF, release runs once. */
class OwnedFdTest {

    private static boolean open(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd));
    }

    @Test
    void closeWithoutUsesClosesAtOnceAndOnlyOnce() {
        AtomicInteger released = new AtomicInteger();
        int n = Native.open("/dev/null", Native.O_RDWR, "open /dev/null");
        OwnedFd fd = new OwnedFd(n, "test fd", released::incrementAndGet);
        assertTrue(fd.close());
        assertTrue(fd.isReleased());
        assertEquals(1, released.get());
        assertFalse(fd.close(), "second close does nothing");
        assertEquals(1, released.get());
        KvmException e = assertThrows(KvmException.class, () -> fd.acquire("KVM_RUN"));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("KVM_RUN", e.operation());
        assertTrue(e.getMessage().contains("test fd was closed"), e.getMessage());
    }

    @Test
    void closeDuringAUseIsDeferredToTheLastRelease() {
        AtomicInteger released = new AtomicInteger();
        int n = Native.open("/dev/null", Native.O_RDWR, "open /dev/null");
        OwnedFd fd = new OwnedFd(n, "test fd", released::incrementAndGet);
        assertEquals(n, fd.acquire("a"));
        assertEquals(n, fd.acquire("b"));
        assertFalse(fd.close(), "deferred");
        assertTrue(fd.isClosed());
        assertFalse(fd.isReleased());
        assertTrue(open(n), "the descriptor stays open while in use");
        assertThrows(KvmException.class, () -> fd.acquire("c"));
        fd.release();
        assertFalse(fd.isReleased());
        assertEquals(0, released.get());
        fd.release();
        assertTrue(fd.isReleased());
        assertEquals(1, released.get());
    }
}
