package io.jkvm.runtime.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.runtime.Backend;
import io.jkvm.runtime.loader.Image;
import io.jkvm.runtime.loader.LoaderException;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class GuestRunnerTest {

    static String jitUnavailable() {
        try {
            return Backend.JIT.unavailableReason();
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    @Test
    void guestRamIsZeroedPageAlignedNativeMemoryThatDiesWithItsArena() {
        MemorySegment ram;
        try (Arena arena = Arena.ofConfined()) {
            ram = GuestRamAllocator.allocate(arena, 1L << 30);
            assertEquals(1L << 30, ram.byteSize());
            assertTrue(ram.isNative());
            assertEquals(0, ram.address() % 4096);
            assertEquals(0, ram.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0, ram.get(ValueLayout.JAVA_LONG, (1L << 30) - 8));
            ram.set(ValueLayout.JAVA_LONG, 512L << 20, 0x1234);
            assertEquals(0x1234, ram.get(ValueLayout.JAVA_LONG, 512L << 20));
        }
        assertFalse(ram.scope().isAlive(), "closing the arena releases the RAM");
    }

    @Test
    void onLinuxRamIsALazilyCommittedMapping() {
        assumeTrue(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux"));
        assertTrue(GuestRamAllocator.usesMmap());
    }

    @Test
    void ramSizesMustBeWholePages() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> GuestRamAllocator.allocate(arena, 4097));
            assertThrows(IllegalArgumentException.class, () -> GuestRamAllocator.allocate(arena, 0));
        }
    }

    @Test
    void memorySizesOutsideTheSupportedRangeAreRefusedUpFront() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GuestRunner.builder().memory(4L << 30));
        assertEquals("memory size 4 GiB is above the maximum of 3 GiB (RAM ends at the MMIO hole at 0xc0000000)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GuestRunner.builder().memory(1L << 20));
        assertThrows(IllegalArgumentException.class, () -> GuestRunner.builder().timeout(Duration.ZERO));
    }

    @Test
    void aBadImageIsRefusedBeforeAnyBackendIsOpened() {
        // HARDWARE cannot be opened on this machine (or may be): the loader error must come first either way
        GuestRunner runner = GuestRunner.builder().backend(Backend.HARDWARE).memory(4L << 20).build();
        byte[] notX86 = new byte[64];
        notX86[0] = 0x7f;
        notX86[1] = 'E';
        notX86[2] = 'L';
        notX86[3] = 'F';
        notX86[4] = 1;
        notX86[5] = 1;
        notX86[6] = 1;
        notX86[16] = 2;
        notX86[18] = 40;   // EM_ARM
        LoaderException e = assertThrows(LoaderException.class,
                () -> runner.run(Image.of("arm.elf", notX86), null, false));
        assertEquals("arm.elf: not an x86 ELF (e_machine=40)", e.getMessage());
    }

    @Test
    void aFlatGuestRunsToItsDebugExitWithStatistics() throws Exception {
        String reason = jitUnavailable();
        assumeTrue(reason == null, "the JIT backend cannot run guests yet: " + reason);
        // mov dx, 0x3f8 ; mov al, 'k' ; out dx, al ; mov al, '\n' ; out dx, al ; out 0x80, al ; mov al, 3 ;
        // out 0xf4, al ; hlt
        byte[] code = {(byte) 0xba, (byte) 0xf8, 0x03, (byte) 0xb0, 'k', (byte) 0xee, (byte) 0xb0, '\n', (byte) 0xee,
                (byte) 0xe6, (byte) 0x80, (byte) 0xb0, 0x03, (byte) 0xe6, (byte) 0xf4, (byte) 0xf4};
        ByteArrayOutputStream serial = new ByteArrayOutputStream();
        GuestRunner.RunResult r = GuestRunner.builder().backend(Backend.JIT).memory(4L << 20)
                .timeout(Duration.ofSeconds(60)).serialOutput(serial).build()
                .run(Image.of("k.bin", code), null, false);
        assertEquals(new Outcome.GuestExit(3), r.outcome());
        assertEquals("k\n", serial.toString(StandardCharsets.US_ASCII));
        RunStatistics s = r.statistics();
        assertEquals(Map.of("KVM_EXIT_IO", 4L), s.exitsByReason());
        assertEquals(Map.of("serial", 2L, "debug-exit", 1L), s.pioByDevice());
        assertEquals(1, s.unmappedPorts().size());
        assertEquals(0x80, s.unmappedPorts().get(0).address());
        assertEquals(1, s.unmappedPorts().get(0).writes());
        assertEquals(2, s.serialBytesOut());
        assertTrue(s.runNanos() > 0 && s.setupNanos() > 0 && s.wallNanos() >= s.runNanos() + s.setupNanos());
        assertTrue(s.firstExitNanos() >= 0 && s.firstExitNanos() <= s.runNanos());
        assertInstanceOf(String.class, s.toMap().get("outcome"));
        assertTrue(s.toText().contains("exits:               4 (IO 4)"), s.toText());
    }
}
