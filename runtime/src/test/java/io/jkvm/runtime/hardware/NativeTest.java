package io.jkvm.runtime.hardware;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jkvm.abi.Errno;
import io.jkvm.abi.Ioctl;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmRegs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FFM layer against real libc calls that need no {@code /dev/kvm}. */
@SuppressWarnings("restricted")
class NativeTest {
    private static final long PAGE = 4096;

    @Test
    void openingAMissingDeviceFailsWithEnoentAndSaysSo() {
        String path = "/dev/jkvm-test-no-such-device";
        KvmException e = assertThrows(KvmException.class, () -> Native.open(path, Native.O_RDWR, "open " + path));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("open " + path, e.operation());
        assertTrue(e.getMessage().contains(path + " does not exist"), e.getMessage());
    }

    @Test
    void kvmIoctlsOnDevNullFailWithEnottyNamedAsInKvmH() {
        int fd = Native.open("/dev/null", Native.O_RDWR, "open /dev/null");
        try (Arena arena = Arena.ofConfined()) {
            // By-value shape.
            KvmException byValue = assertThrows(KvmException.class,
                    () -> KvmIoctls.call(fd, Ioctl.KVM_GET_API_VERSION, 0, "/dev/null"));
            assertEquals(Errno.ENOTTY, byValue.errno());
            assertEquals("KVM_GET_API_VERSION", byValue.operation());
            assertTrue(byValue.getMessage().contains("does not accept this ioctl"), byValue.getMessage());
            // Pointer shape, with a real struct.
            KvmRegs regs = KvmRegs.allocate(arena);
            KvmException byPointer = assertThrows(KvmException.class,
                    () -> KvmIoctls.call(fd, Ioctl.KVM_GET_REGS, regs.segment(), "vcpu 0: kvm_regs"));
            assertEquals(Errno.ENOTTY, byPointer.errno());
            assertEquals("KVM_GET_REGS", byPointer.operation());
            assertTrue(byPointer.getMessage().contains("vcpu 0: kvm_regs"), byPointer.getMessage());
        } finally {
            Native.close(fd, "close /dev/null");
        }
    }

    @Test
    void structArgumentsAreCheckedBeforeTheKernelSeesThem() {
        int fd = Native.open("/dev/null", Native.O_RDWR, "open /dev/null");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tooSmall = arena.allocate(KvmRegs.LAYOUT.byteSize() - 8, 8);
            KvmException small = assertThrows(KvmException.class,
                    () -> KvmIoctls.call(fd, Ioctl.KVM_GET_REGS, tooSmall, "short buffer"));
            assertEquals(Errno.EFAULT, small.errno());
            MemorySegment heap = MemorySegment.ofArray(new byte[(int) KvmRegs.LAYOUT.byteSize()]);
            KvmException onHeap = assertThrows(KvmException.class,
                    () -> KvmIoctls.call(fd, Ioctl.KVM_GET_REGS, heap, "heap buffer"));
            assertEquals(Errno.EFAULT, onHeap.errno());
            assertTrue(onHeap.getMessage().contains("heap segment"), onHeap.getMessage());
        } finally {
            Native.close(fd, "close /dev/null");
        }
    }

    @Test
    void closingAClosedFdFailsWithEbadf() {
        int fd = Native.open("/dev/null", Native.O_RDWR, "open /dev/null");
        Native.close(fd, "close /dev/null");
        KvmException e = assertThrows(KvmException.class, () -> Native.close(fd, "close /dev/null"));
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void sharedFileMappingRoundTrips(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("area");
        Files.write(file, new byte[(int) (3 * PAGE)]);
        int fd = Native.open(file.toString(), Native.O_RDWR, "open " + file);
        byte[] expected = new byte[(int) (3 * PAGE)];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) (i * 31 + 7);
        }
        try {
            MemorySegment p = Native.mmap(3 * PAGE, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0,
                    "mmap test file");
            assertEquals(0, p.address() % PAGE, "mappings are page aligned");
            MemorySegment area = p.reinterpret(3 * PAGE);
            MemorySegment.copy(expected, 0, area, ValueLayout.JAVA_BYTE, 0, expected.length);
            assertEquals(0, Native.munmap(p.address(), 3 * PAGE));
        } finally {
            Native.close(fd, "close test file");
        }
        assertArrayEquals(expected, Files.readAllBytes(file), "stores through a MAP_SHARED mapping reach the file");
    }

    @Test
    void anonymousMappingIsZeroedAndWritable() {
        MemorySegment p = Native.mmap(2 * PAGE, Native.PROT_READ | Native.PROT_WRITE,
                Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0, "mmap anonymous");
        MemorySegment area = p.reinterpret(2 * PAGE);
        for (long off = 0; off < 2 * PAGE; off += 8) {
            assertEquals(0L, area.get(JAVA_LONG, off));
        }
        area.set(JAVA_LONG, PAGE + 8, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, area.get(JAVA_LONG, PAGE + 8));
        assertEquals(0, Native.munmap(p.address(), 2 * PAGE));
    }

    @Test
    void failedMmapBecomesKvmExceptionWithHint() {
        KvmException e = assertThrows(KvmException.class, () -> Native.mmap(0, Native.PROT_READ,
                Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0, "mmap zero bytes"));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("mmap zero bytes", e.operation());
        assertTrue(e.getMessage().contains("length must be non-zero"), e.getMessage());
        int fd = Native.open("/dev/null", Native.O_RDWR, "open /dev/null");
        try {
            KvmException nodev = assertThrows(KvmException.class, () -> Native.mmap(PAGE,
                    Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0, "mmap /dev/null"));
            assertEquals(Errno.ENODEV, nodev.errno());
        } finally {
            Native.close(fd, "close /dev/null");
        }
    }

    @Test
    void pageSizeIs4KiB() {
        assertEquals(4096, Native.sysconf(Native._SC_PAGESIZE));
    }

    @Test
    void errnoIsCapturedPerCallNotReadLater() {
        // A failing call followed by a succeeding one: each reports its own errno.
        KvmException first = assertThrows(KvmException.class,
                () -> Native.open("/dev/jkvm-missing", Native.O_RDWR, "open"));
        int fd = Native.open("/dev/null", Native.O_RDWR, "open /dev/null");
        Native.close(fd, "close");
        KvmException second = assertThrows(KvmException.class, () -> Native.close(fd, "close again"));
        assertEquals(Errno.ENOENT, first.errno());
        assertEquals(Errno.EBADF, second.errno());
    }

    @Test
    void strerrorNamesTheError() {
        assertEquals("No such file or directory", Native.strerror(Errno.ENOENT.number()));
        assertEquals("Inappropriate ioctl for device", Native.strerror(Errno.ENOTTY.number()));
    }
}
