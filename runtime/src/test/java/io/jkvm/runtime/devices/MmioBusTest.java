package io.jkvm.runtime.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jkvm.abi.KvmRun;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;

import org.junit.jupiter.api.Test;

class MmioBusTest {

    /** A bank of 8-byte registers. */
    static final class Registers implements MmioDevice {
        final long[] regs = new long[4];

        @Override
        public long read(long offset, int size) {
            return regs[(int) (offset / 8)] >>> ((offset % 8) * 8);
        }

        @Override
        public void write(long offset, int size, long value) {
            regs[(int) (offset / 8)] = value;
        }
    }

    @Test
    void overlapsAreRefused() {
        MmioBus bus = new MmioBus();
        bus.register("regs", 0xd000_0000L, 0x20, new Registers());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bus.register("x", 0xd000_001fL, 1, new Registers()));
        assertEquals("x at [0xd000001f, 0xd0000020) overlaps regs at [0xd0000000, 0xd0000020)", e.getMessage());
    }

    @Test
    void mmioExitsReachTheDeviceAndReadsFillTheRunArea() {
        try (Arena arena = Arena.ofConfined()) {
            MmioBus bus = new MmioBus();
            Registers dev = new Registers();
            bus.register("regs", 0xd000_0000L, 0x20, dev);
            KvmRun run = KvmRun.allocate(arena);

            run.mmio().physAddr(0xd000_0008L).len(8).isWrite(1).data()
                    .set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x0123456789abcdefL);
            bus.handle(run.mmio());
            assertEquals(0x0123456789abcdefL, dev.regs[1]);

            run.mmio().physAddr(0xd000_000aL).len(2).isWrite(0).data().fill((byte) 0x55);
            bus.handle(run.mmio());
            assertEquals(0x89abL, run.mmio().data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "2 bytes, rest zero");
        }
    }

    @Test
    void unmappedAddressesReadAllOnesOfTheAccessSizeAndAreCounted() {
        try (Arena arena = Arena.ofConfined()) {
            MmioBus bus = new MmioBus();
            KvmRun run = KvmRun.allocate(arena);
            run.mmio().physAddr(0xd000_0004L).len(4).isWrite(0);
            bus.handle(run.mmio());
            assertEquals(0xffffffffL, run.mmio().data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            run.mmio().physAddr(0xd000_0004L).len(4).isWrite(1);
            bus.handle(run.mmio());
            assertEquals(-1L, bus.read(0xfee0_0000L, 8));
            assertEquals(List.of(new UnmappedAccesses.Count(0xd000_0004L, 1, 1),
                    new UnmappedAccesses.Count(0xfee0_0000L, 1, 0)), bus.unmapped().counts());
        }
    }

    @Test
    void theUnmappedTableIsBoundedAndCountsTheRestTogether() {
        MmioBus bus = new MmioBus();
        for (long a = 0; a < UnmappedAccesses.MAX_TRACKED + 10; a++) {
            bus.write(0xe000_0000L + a * 4, 4, 0);
        }
        assertEquals(UnmappedAccesses.MAX_TRACKED, bus.unmapped().counts().size());
        assertEquals(10, bus.unmapped().untrackedAccesses());
        assertEquals(UnmappedAccesses.MAX_TRACKED + 10, bus.unmapped().total());
    }
}
