package io.jkvm.runtime.api;

import static io.jkvm.runtime.api.GuestPrograms.CODE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.abi.Capability;
import io.jkvm.abi.Errno;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.IoDirection;
import io.jkvm.abi.KvmCpuid2;
import io.jkvm.abi.KvmCpuidEntry2;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.MemFlags;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.Vcpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The API contract both backends must meet, written once and run on each ({@code jit} anywhere, {@code hardware}
 * where {@code /dev/kvm} exists; a backend that cannot run here is skipped with its own reason). Guests are the
 * byte programs of {@link GuestPrograms}; expected values are computed here, independently of either backend.
 * Nothing here depends on one backend's quirks; where a check only means something on one backend it says so.
 */
class KvmApiAcceptanceTest {
    private static final long TIMEOUT_S = 30;

    // ---- (a) port IO ----

    @ParameterizedTest
    @EnumSource(Backend.class)
    void realModeGuestWritesHelloToTheSerialPortThenHalts(Backend backend) {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.HELLO).realMode(CODE)) {
            StringBuilder printed = new StringBuilder();
            for (int i = 0; i < "hello".length(); i++) {
                KvmRun run = g.runExpecting(ExitReason.IO);
                KvmRun.Io io = run.io();
                assertEquals(IoDirection.KVM_EXIT_IO_OUT, io.direction(), "out dx, al is a write");
                assertEquals(1, io.size(), "one byte (al)");
                assertEquals(0x3f8, io.port(), "port from dx");
                assertEquals(1, io.count(), "not a string instruction");
                assertEquals(KvmRun.PIO_DATA_OFFSET, io.dataOffset(), "KVM puts port data on page 1 of the run area");
                printed.append((char) run.segment().get(JAVA_BYTE, io.dataOffset()));
                assertEquals(1, io.data().byteSize());
            }
            assertEquals("hello", printed.toString());
            g.runExpecting(ExitReason.HLT);
            KvmRegs regs = g.vcpu.getRegs();
            assertEquals(GuestPrograms.HELLO_MSG, regs.rip(), "RIP is past the HLT");
            assertEquals(GuestPrograms.HELLO_MSG + "hello".length() + 1, regs.rsi(), "lodsb went past the NUL");
            assertEquals(0x3f8, regs.rdx());
            assertEquals(0, regs.rax() & 0xff, "al holds the NUL that ended the loop");
        }
    }

    // ---- (b) long mode ----

    @ParameterizedTest
    @EnumSource(Backend.class)
    void longModeGuestComputesAndHalts(Backend backend) {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.LONG_MODE).longMode(CODE)) {
            g.runExpecting(ExitReason.HLT);
            long sum = 0;
            for (long i = 1; i <= 1000; i++) {
                sum += i;
            }
            long product = 0x0123456789abcdefL * sum;
            long mixed = (product >>> 7) ^ sum;
            KvmRegs regs = g.vcpu.getRegs();
            assertEquals(sum, regs.rax(), "rax = 1 + 2 + ... + 1000");
            assertEquals(0, regs.rcx(), "the loop counted rcx down to 0");
            assertEquals(product, regs.rbx(), "rbx = 0x0123456789abcdef * rax (mod 2^64)");
            assertEquals(mixed, regs.rdx(), "rdx = (rbx >> 7) ^ rax");
            assertEquals(product, g.ram.get(JAVA_LONG, 0x5000), "the store through the page tables reached RAM");
            assertEquals(GuestPrograms.LONG_MODE.end(), regs.rip(), "RIP is past the HLT");
            assertEquals(TestVm.EFER_LME | TestVm.EFER_LMA,
                    g.vcpu.getSregs().efer() & (TestVm.EFER_LME | TestVm.EFER_LMA), "still in long mode");
        }
    }

    // ---- (c) MMIO ----

    @ParameterizedTest
    @EnumSource(Backend.class)
    void loadFromAnAddressInNoSlotIsAnMmioReadCompletedByUserspace(Backend backend) {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.MMIO_READ).realMode(CODE)) {
            KvmRun run = g.runExpecting(ExitReason.MMIO);
            assertEquals(0x9000, run.mmio().physAddr());
            assertEquals(4, run.mmio().len());
            assertEquals(0, run.mmio().isWrite(), "a load");
            int value = 0xcafef00d;
            run.mmio().data().set(JAVA_INT_UNALIGNED, 0, value);
            g.runExpecting(ExitReason.HLT);
            assertEquals(value, g.ram.get(JAVA_INT_UNALIGNED, 0x500), "the guest stored what userspace answered");
            assertEquals(Integer.toUnsignedLong(value), g.vcpu.getRegs().rax() & 0xffffffffL);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void storeToAReadOnlySlotIsAnMmioWriteWithTheStoredBytes(Backend backend) {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.READONLY_WRITE).realMode(CODE)) {
            assumeTrue(g.vm.checkExtension(Capability.READONLY_MEM) > 0,
                    backend.cliName() + " does not offer KVM_CAP_READONLY_MEM");
            MemorySegment rom = g.arena.allocate(4096, 4096);
            rom.set(JAVA_INT_UNALIGNED, 0, 0x5eed1234);
            g.vm.setUserMemoryRegion(1, MemFlags.KVM_MEM_READONLY, 0xa000, rom);
            KvmRun run = g.runExpecting(ExitReason.MMIO);
            assertEquals(0xa010, run.mmio().physAddr());
            assertEquals(4, run.mmio().len());
            assertEquals(1, run.mmio().isWrite(), "a store");
            byte[] stored = new byte[4];
            MemorySegment.copy(run.mmio().data(), JAVA_BYTE, 0, stored, 0, 4);
            assertArrayEquals(new byte[] {0x44, 0x33, 0x22, 0x11}, stored, "0x11223344, little-endian");
            g.runExpecting(ExitReason.HLT);
            assertEquals(0x5eed1234L, g.vcpu.getRegs().rbx() & 0xffffffffL, "loads from a read-only slot are RAM");
            assertEquals(0, rom.get(JAVA_INT_UNALIGNED, 0x10), "the read-only memory was not written");
        }
    }

    // ---- (d) dirty log ----

    @ParameterizedTest
    @EnumSource(Backend.class)
    void dirtyLogHasExactlyThePagesWrittenAndIsClearedByReading(Backend backend) {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.DIRTY).realMode(CODE)) {
            MemorySegment logged = g.arena.allocate(16 * 4096, 4096);
            g.vm.setUserMemoryRegion(1, MemFlags.KVM_MEM_LOG_DIRTY_PAGES, 0x10000, logged);
            g.runExpecting(ExitReason.HLT);
            assertEquals(1, logged.get(JAVA_BYTE, 0x3000));
            assertEquals(7, logged.get(JAVA_BYTE, 0x7123));
            long pages3and7 = (1L << 3) | (1L << 7);
            assertArrayEquals(new long[] {pages3and7}, g.vm.getDirtyLog(1), "pages 3 and 7, nothing else");
            assertArrayEquals(new long[] {0}, g.vm.getDirtyLog(1), "reading the log cleared it");
            // Clearing re-protected the pages: the same writes are logged again.
            g.realMode(CODE);
            g.runExpecting(ExitReason.HLT);
            assertArrayEquals(new long[] {pages3and7}, g.vm.getDirtyLog(1), "logged again after re-protection");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void withManualProtectTheLogStaysUntilCleared(Backend backend) {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.DIRTY).realMode(CODE)) {
            assumeTrue(g.vm.checkExtension(Capability.MANUAL_DIRTY_LOG_PROTECT2) > 0,
                    backend.cliName() + " does not offer KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
            g.vm.enableCap(Capability.MANUAL_DIRTY_LOG_PROTECT2, 1 /* KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE */);
            MemorySegment logged = g.arena.allocate(16 * 4096, 4096);
            g.vm.setUserMemoryRegion(1, MemFlags.KVM_MEM_LOG_DIRTY_PAGES, 0x10000, logged);
            g.runExpecting(ExitReason.HLT);
            long pages3and7 = (1L << 3) | (1L << 7);
            assertArrayEquals(new long[] {pages3and7}, g.vm.getDirtyLog(1));
            assertArrayEquals(new long[] {pages3and7}, g.vm.getDirtyLog(1), "reading no longer clears");
            g.vm.clearDirtyLog(1, 0, 16, new long[] {1L << 3});
            assertArrayEquals(new long[] {1L << 7}, g.vm.getDirtyLog(1), "only page 3 was cleared");
            g.vm.clearDirtyLog(1, 0, 16, new long[] {1L << 7});
            assertArrayEquals(new long[] {0}, g.vm.getDirtyLog(1));
            g.realMode(CODE);
            g.runExpecting(ExitReason.HLT);
            assertArrayEquals(new long[] {pages3and7}, g.vm.getDirtyLog(1), "cleared pages were re-protected");
        }
    }

    // ---- (e) CPUID ----

    @ParameterizedTest
    @EnumSource(Backend.class)
    void guestSeesTheCpuidLeafUserspaceSet(Backend backend) {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.CPUID).realMode(CODE)) {
            int eax = 0x4a4b564d; // "MVKJ"
            int ebx = 0x12345678;
            int ecx = 0x9abcdef0;
            int edx = 0x0badf00d;
            KvmCpuid2 table = g.supportedCpuidWith(0x40000000, eax, ebx, ecx, edx);
            g.vcpu.setCpuid2(table);
            KvmCpuid2 back = KvmCpuid2.allocate(g.arena, table.nent());
            g.vcpu.getCpuid2(back);
            KvmCpuidEntry2 leaf = back.find(0x40000000, 0);
            assertNotNull(leaf, "KVM_GET_CPUID2 returns the leaf KVM_SET_CPUID2 set");
            assertEquals(ebx, leaf.ebx());
            g.runExpecting(ExitReason.HLT);
            assertEquals(eax, g.ram.get(JAVA_INT_UNALIGNED, 0x600));
            assertEquals(ebx, g.ram.get(JAVA_INT_UNALIGNED, 0x604));
            assertEquals(ecx, g.ram.get(JAVA_INT_UNALIGNED, 0x608));
            assertEquals(edx, g.ram.get(JAVA_INT_UNALIGNED, 0x60c));
        }
    }

    // ---- (f) kick ----

    private static CompletableFuture<ExitReason> runAsync(Vcpu vcpu, CountDownLatch starting) {
        CompletableFuture<ExitReason> f = new CompletableFuture<>();
        Thread.ofPlatform().name("vcpu-" + vcpu.id() + "-runner").daemon(true).start(() -> {
            try {
                starting.countDown();
                f.complete(vcpu.run().exit());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /** Kicks until {@code run} completes (a kick racing with the run's start is consumed by the next run). */
    private static ExitReason kickUntilDone(Vcpu vcpu, CompletableFuture<ExitReason> run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        vcpu.kick();
        while (true) {
            try {
                return run.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("kick() did not end the run within " + TIMEOUT_S + " s");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void kickFromAnotherThreadEndsASpinningGuestWithExitIntr(Backend backend) throws Exception {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.SPIN).realMode(CODE)) {
            // A kick with no run in progress makes the next run return at once.
            g.vcpu.kick();
            CompletableFuture<ExitReason> first = runAsync(g.vcpu, new CountDownLatch(1));
            assertEquals(ExitReason.INTR, first.get(TIMEOUT_S, TimeUnit.SECONDS));
            for (int round = 0; round < 3; round++) {
                CountDownLatch starting = new CountDownLatch(1);
                CompletableFuture<ExitReason> run = runAsync(g.vcpu, starting);
                assertTrue(starting.await(TIMEOUT_S, TimeUnit.SECONDS));
                Thread.sleep(200);
                assertFalse(run.isDone(), "the guest spins until kicked (the previous kick was consumed): "
                        + (run.isDone() ? run.get() : ""));
                assertEquals(ExitReason.INTR, kickUntilDone(g.vcpu, run));
                assertEquals(CODE, g.vcpu.getRegs().rip(), "still at the jmp $");
            }
        }
    }

    // ---- (g) misuse ----

    @ParameterizedTest
    @EnumSource(Backend.class)
    void overlappingSlotsFailWithEexist(Backend backend) {
        try (TestVm g = TestVm.create(backend)) {
            MemorySegment more = g.arena.allocate(0x8000, 4096);
            KvmException e = assertThrows(KvmException.class,
                    () -> g.vm.setUserMemoryRegion(1, 0, 0x4000, more));
            assertEquals(Errno.EEXIST, e.errno(), e.getMessage());
            assertEquals("KVM_SET_USER_MEMORY_REGION", e.operation());
            g.vm.setUserMemoryRegion(1, 0, 0x10000, more); // the failed call left nothing behind
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void unalignedGuestAddressOrSizeFailsWithEinval(Backend backend) {
        try (TestVm g = TestVm.create(backend)) {
            MemorySegment page = g.arena.allocate(0x2000, 4096);
            KvmException address = assertThrows(KvmException.class,
                    () -> g.vm.setUserMemoryRegion(1, 0, 0x10800, page));
            assertEquals(Errno.EINVAL, address.errno(), address.getMessage());
            assertEquals("KVM_SET_USER_MEMORY_REGION", address.operation());
            MemorySegment odd = g.arena.allocate(0x1800, 4096);
            KvmException size = assertThrows(KvmException.class,
                    () -> g.vm.setUserMemoryRegion(1, 0, 0x10000, odd));
            assertEquals(Errno.EINVAL, size.errno(), size.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void duplicateVcpuIdFailsWithEexist(Backend backend) {
        try (TestVm g = TestVm.create(backend)) {
            KvmException e = assertThrows(KvmException.class, () -> g.vm.createVcpu(0));
            assertEquals(Errno.EEXIST, e.errno());
            assertEquals("KVM_CREATE_VCPU", e.operation());
            assertEquals(1, g.vm.createVcpu(1).id(), "another id is fine");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void runOnAClosedVcpuFailsWithEbadf(Backend backend) {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.HELLO).realMode(CODE)) {
            g.vcpu.close();
            KvmException e = assertThrows(KvmException.class, g.vcpu::run);
            assertEquals(Errno.EBADF, e.errno());
            g.vcpu.close(); // idempotent
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void runFromTwoThreadsAtOnceFailsWithEbusyInOne(Backend backend) throws Exception {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.SPIN).realMode(CODE)) {
            List<CompletableFuture<ExitReason>> runs = new ArrayList<>();
            CountDownLatch starting = new CountDownLatch(2);
            runs.add(runAsync(g.vcpu, starting));
            runs.add(runAsync(g.vcpu, starting));
            // Exactly one of them is refused, whichever came second; the other spins until kicked.
            CompletableFuture<Object> firstDone = CompletableFuture.anyOf(runs.get(0), runs.get(1));
            Throwable refused = assertThrows(ExecutionException.class,
                    () -> firstDone.get(TIMEOUT_S, TimeUnit.SECONDS)).getCause();
            KvmException e = assertInstanceOfKvm(refused);
            assertEquals(Errno.EBUSY, e.errno());
            assertEquals("KVM_RUN", e.operation());
            CompletableFuture<ExitReason> running = runs.get(0).isCompletedExceptionally() ? runs.get(1) : runs.get(0);
            assertEquals(ExitReason.INTR, kickUntilDone(g.vcpu, running));
        }
    }

    private static KvmException assertInstanceOfKvm(Throwable t) {
        assertTrue(t instanceof KvmException, "expected a KvmException, got " + t);
        return (KvmException) t;
    }

    /**
     * Everything above, repeatedly, leaves no file descriptor open (and, on the hardware backend, no vcpu mapping):
     * counted in {@code /proc/self/fd} and {@code /proc/self/maps} after a warm-up round.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void nothingLeaks(Backend backend) throws Exception {
        TestVm.assumeAvailable(backend);
        assumeTrue(java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self/fd")), "no /proc here");
        int rounds = 6;
        leakRound(backend);
        long fds = ProcSelf.openFds();
        long vcpuMaps = ProcSelf.mappingsNamed("kvm-vcpu");
        for (int i = 0; i < rounds; i++) {
            leakRound(backend);
        }
        long fdsAfter = ProcSelf.openFds();
        assertTrue(fdsAfter - fds < rounds, "open fds grew from " + fds + " to " + fdsAfter + " over " + rounds
                + " rounds: " + ProcSelf.fdTargets());
        // Hardware only: each vcpu maps its kvm_run from an anon inode named kvm-vcpu:<id>.
        assertEquals(vcpuMaps, ProcSelf.mappingsNamed("kvm-vcpu"), "vcpu run areas left mapped");
    }

    private static void leakRound(Backend backend) throws Exception {
        try (TestVm g = TestVm.create(backend).load(GuestPrograms.HELLO).realMode(CODE)) {
            Vcpu second = g.vm.createVcpu(1);
            assertThrows(KvmException.class, () -> g.vm.createVcpu(1));
            assertThrows(KvmException.class,
                    () -> g.vm.setUserMemoryRegion(1, 0, 0x4000, g.arena.allocate(0x8000, 4096)));
            for (int i = 0; i < 5; i++) {
                g.runExpecting(ExitReason.IO);
            }
            g.runExpecting(ExitReason.HLT);
            second.close();
            assertThrows(KvmException.class, second::run);
            try (Arena scratch = Arena.ofConfined()) {
                g.vm.setUserMemoryRegion(2, MemFlags.KVM_MEM_LOG_DIRTY_PAGES, 0x20000, scratch.allocate(4096, 4096));
                g.vm.getDirtyLog(2);
                g.vm.deleteMemoryRegion(2);
            }
        }
    }
}
