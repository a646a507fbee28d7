package io.jkvm.runtime.hardware;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.abi.Capability;
import io.jkvm.abi.Errno;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.GuestDebugFlags;
import io.jkvm.abi.KvmApi;
import io.jkvm.abi.KvmCpuid2;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmFpu;
import io.jkvm.abi.KvmInterrupt;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSregs;
import io.jkvm.abi.KvmUserspaceMemoryRegion;
import io.jkvm.abi.MpState;
import io.jkvm.runtime.spi.VcpuHandle;
import io.jkvm.runtime.spi.VmHandle;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hardware backend's own ioctls against a real {@code /dev/kvm}, through the SPI (below the API's checks, so
 * the errnos are the kernel's). Skipped, with the reason, on hosts without KVM.
 */
class HardwareKvmTest {
    private static final int MSR_IA32_TSC = 0x10;
    private static final int MSR_IA32_SYSENTER_CS = 0x174;

    private HardwareSystem system;
    private final Arena arena = Arena.ofShared();

    @BeforeEach
    void open() {
        String reason = new HardwareBackend().unavailableReason();
        assumeTrue(reason == null, () -> "needs /dev/kvm: " + reason);
        system = new HardwareSystem(HardwareBackend.DEVICE);
    }

    @AfterEach
    void close() {
        if (system != null) {
            system.close();
        }
        arena.close();
    }

    private static long vcpuMappings() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains("kvm-vcpu")).count();
        }
    }

    @Test
    void systemIoctls() {
        assertEquals(KvmApi.KVM_API_VERSION, system.apiVersion());
        assertEquals(1, system.checkExtension(Capability.USER_MEMORY.number()));
        assertTrue(system.vcpuMmapSize() >= KvmRun.LAYOUT.byteSize(), "mmap size " + system.vcpuMmapSize());
        assertEquals(0, system.vcpuMmapSize() % 4096);
        int[] msrs = system.msrIndexList();
        assertTrue(msrs.length > 0);
        assertTrue(Arrays.stream(msrs).anyMatch(m -> m == MSR_IA32_TSC), "the TSC is in every KVM's list");
        KvmCpuid2 cpuid = KvmCpuid2.allocate(arena, KvmApi.KVM_MAX_CPUID_ENTRIES);
        system.supportedCpuid(cpuid);
        assertTrue(cpuid.nent() > 0 && cpuid.nent() <= KvmApi.KVM_MAX_CPUID_ENTRIES);
        assertNotNull(cpuid.find(0, 0), "leaf 0");
        KvmException tooSmall = assertThrows(KvmException.class,
                () -> system.supportedCpuid(KvmCpuid2.allocate(arena, 1)));
        assertEquals(Errno.E2BIG, tooSmall.errno());
    }

    @Test
    void vcpuFdsAndMappingsComeAndGo() throws IOException {
        long before = vcpuMappings();
        try (VmHandle vm = system.createVm()) {
            VcpuHandle vcpu = vm.createVcpu(0);
            assertEquals(system.vcpuMmapSize(), vcpu.runArea().segment().byteSize(), "the whole mmap area");
            assertEquals(before + 1, vcpuMappings());
            KvmException dup = assertThrows(KvmException.class, () -> vm.createVcpu(0));
            assertEquals(Errno.EEXIST, dup.errno(), "the kernel's own answer to a duplicate id");
            assertEquals("KVM_CREATE_VCPU", dup.operation());
            vcpu.close();
            assertEquals(before, vcpuMappings());
            KvmException closed = assertThrows(KvmException.class, vcpu::run);
            assertEquals(Errno.EBADF, closed.errno());
            assertThrows(IllegalStateException.class, () -> vcpu.runArea().exitReason());
        }
    }

    @Test
    void slotsMustLieInsideLiveNativeSegments() {
        try (VmHandle vm = system.createVm()) {
            KvmUserspaceMemoryRegion region = KvmUserspaceMemoryRegion.allocate(arena);
            MemorySegment small = arena.allocate(4096, 4096);
            region.slot(0).guestPhysAddr(0).memorySize(8192).userspaceAddr(small.address());
            KvmException outside = assertThrows(KvmException.class, () -> vm.setUserMemoryRegion(region, small));
            assertEquals(Errno.EFAULT, outside.errno());
            MemorySegment gone;
            try (Arena temp = Arena.ofConfined()) {
                gone = temp.allocate(4096, 4096);
            }
            region.memorySize(4096).userspaceAddr(gone.address());
            KvmException closed = assertThrows(KvmException.class, () -> vm.setUserMemoryRegion(region, gone));
            assertEquals(Errno.EFAULT, closed.errno());
            MemorySegment other = arena.allocate(4096, 4096);
            region.userspaceAddr(small.address());
            KvmException elsewhere = assertThrows(KvmException.class, () -> vm.setUserMemoryRegion(region, other));
            assertEquals(Errno.EFAULT, elsewhere.errno(), "userspace_addr is not the segment's");
        }
    }

    /** A VM with 32 KiB of RAM at 0 holding {@code code} at 0x1000, one vcpu in real mode at 0x1000. */
    private VcpuHandle realModeVcpu(VmHandle vm, byte[] code) {
        MemorySegment ram = arena.allocate(0x8000, 4096);
        MemorySegment.copy(MemorySegment.ofArray(code), 0, ram, 0x1000, code.length);
        vm.setUserMemoryRegion(KvmUserspaceMemoryRegion.allocate(arena).slot(0).guestPhysAddr(0).memorySize(0x8000)
                .userspaceAddr(ram.address()), ram);
        if (vm.checkExtension(Capability.SET_TSS_ADDR.number()) > 0) {
            vm.setTssAddr(0xfffbd000L);
        }
        VcpuHandle vcpu = vm.createVcpu(0);
        KvmSregs sregs = KvmSregs.allocate(arena);
        vcpu.getSregs(sregs);
        sregs.cs().base(0).selector(0);
        vcpu.setSregs(sregs);
        vcpu.setRegs(KvmRegs.allocate(arena).rip(0x1000).rflags(2));
        return vcpu;
    }

    @Test
    void singleStepStopsAfterEachInstruction() {
        // mov dx, 0x3f8 (3 bytes); mov si, 0x100f (3 bytes); ...
        byte[] code = {(byte) 0xba, (byte) 0xf8, 0x03, (byte) 0xbe, 0x0f, 0x10, (byte) 0xf4};
        try (VmHandle vm = system.createVm()) {
            VcpuHandle vcpu = realModeVcpu(vm, code);
            vcpu.setGuestDebug(io.jkvm.abi.KvmGuestDebug.allocate(arena)
                    .control(GuestDebugFlags.KVM_GUESTDBG_ENABLE | GuestDebugFlags.KVM_GUESTDBG_SINGLESTEP));
            KvmRegs regs = KvmRegs.allocate(arena);
            vcpu.run();
            assertEquals(ExitReason.DEBUG, vcpu.runArea().exit());
            vcpu.getRegs(regs);
            assertEquals(0x1003, regs.rip());
            assertEquals(0x3f8, regs.rdx());
            vcpu.run();
            assertEquals(ExitReason.DEBUG, vcpu.runArea().exit());
            vcpu.getRegs(regs);
            assertEquals(0x1006, regs.rip());
            assertEquals(0x100f, regs.rsi());
            vcpu.close();
        }
    }

    @Test
    void closeFromAnotherThreadEndsARunAndThenReleases() throws Exception {
        long before = vcpuMappings();
        try (VmHandle vm = system.createVm()) {
            VcpuHandle vcpu = realModeVcpu(vm, new byte[] {(byte) 0xeb, (byte) 0xfe}); // jmp $
            // run() returns normally (a kicked run is KVM_EXIT_INTR) though its run area is gone by then.
            java.util.concurrent.CompletableFuture<Boolean> run = new java.util.concurrent.CompletableFuture<>();
            Thread runner = Thread.ofPlatform().start(() -> {
                try {
                    vcpu.run();
                    run.complete(Boolean.TRUE);
                } catch (Throwable t) {
                    run.completeExceptionally(t);
                }
            });
            Thread.sleep(500);
            assertFalse(run.isDone(), "spinning in KVM_RUN");
            vcpu.close();
            assertTrue(run.get(30, java.util.concurrent.TimeUnit.SECONDS));
            runner.join();
            assertTrue(((HardwareVcpu) vcpu).isReleased(), "released when the run returned");
            assertEquals(before, vcpuMappings());
        }
    }

    @Test
    void stateIoctlsRoundTrip() {
        try (VmHandle vm = system.createVm()) {
            VcpuHandle vcpu = realModeVcpu(vm, new byte[] {(byte) 0xf4});
            // MSRs.
            io.jkvm.abi.KvmMsrs msrs = io.jkvm.abi.KvmMsrs.allocate(arena, 1);
            msrs.entry(0).index(MSR_IA32_SYSENTER_CS).data(0x10);
            assertEquals(1, vcpu.setMsrs(msrs));
            msrs.entry(0).data(0);
            assertEquals(1, vcpu.getMsrs(msrs));
            assertEquals(0x10, msrs.entry(0).data());
            // FPU.
            KvmFpu fpu = KvmFpu.allocate(arena).fcw(0x27f).mxcsr(0x1f80);
            fpu.xmm(3).set(JAVA_LONG, 0, 0x1122334455667788L);
            vcpu.setFpu(fpu);
            KvmFpu back = KvmFpu.allocate(arena);
            vcpu.getFpu(back);
            assertEquals(0x27f, back.fcw());
            assertEquals(0x1122334455667788L, back.xmm(3).get(JAVA_LONG, 0));
            // MP state of the boot vcpu.
            io.jkvm.abi.KvmMpState mp = io.jkvm.abi.KvmMpState.allocate(arena);
            vcpu.getMpState(mp);
            assertEquals(MpState.KVM_MP_STATE_RUNNABLE, mp.mpState());
            vcpu.setMpState(mp);
            // CPUID set and read back.
            KvmCpuid2 cpuid = KvmCpuid2.allocate(arena, KvmApi.KVM_MAX_CPUID_ENTRIES);
            system.supportedCpuid(cpuid);
            vcpu.setCpuid2(cpuid);
            KvmCpuid2 read = KvmCpuid2.allocate(arena, cpuid.nent());
            vcpu.getCpuid2(read);
            assertEquals(cpuid.nent(), read.nent());
            // KVM_INTERRUPT without an in-kernel irqchip queues the vector; KVM_GET_SREGS shows it pending.
            vcpu.interrupt(KvmInterrupt.allocate(arena).irq(0x21));
            KvmSregs sregs = KvmSregs.allocate(arena);
            vcpu.getSregs(sregs);
            assertEquals(1L << 0x21, sregs.interruptBitmap(0), "vector 0x21 pending");
            KvmException bad = assertThrows(KvmException.class,
                    () -> vcpu.interrupt(KvmInterrupt.allocate(arena).irq(256)));
            assertEquals(Errno.EINVAL, bad.errno());
            // Paging is off: translation is the identity.
            io.jkvm.abi.KvmTranslation t = io.jkvm.abi.KvmTranslation.allocate(arena).linearAddress(0x1234);
            vcpu.translate(t);
            assertEquals(1, t.valid());
            assertEquals(0x1234, t.physicalAddress());
            vcpu.close();
        }
    }
}
