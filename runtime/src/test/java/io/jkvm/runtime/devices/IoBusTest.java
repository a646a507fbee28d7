package io.jkvm.runtime.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jkvm.abi.IoDirection;
import io.jkvm.abi.KvmRun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class IoBusTest {

    /** Records every access; reads return base + offset in every byte position it can. */
    static final class Recorder implements PioDevice {
        final List<String> log = new ArrayList<>();

        @Override
        public int read(int offset, int size) {
            log.add("r" + size + "@" + offset);
            return 0x11223340 + offset;
        }

        @Override
        public void write(int offset, int size, int value) {
            log.add("w" + size + "@" + offset + "=" + Integer.toHexString(value));
        }
    }

    @Test
    void overlappingRegistrationsAreRefusedNamingBothDevices() {
        IoBus bus = new IoBus();
        bus.register("serial", 0x3f8, 8, new Recorder());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bus.register("other", 0x3fc, 8, new Recorder()));
        assertEquals("other at [0x03fc, 0x0404) overlaps serial at [0x03f8, 0x0400)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> bus.register("below", 0x3f0, 9, new Recorder()));
        assertTrue(e.getMessage().contains("overlaps serial"), e.getMessage());
        // adjacent ranges are fine
        bus.register("left", 0x3f0, 8, new Recorder());
        bus.register("right", 0x400, 1, new Recorder());
        assertEquals(List.of("left [0x03f0, 0x03f8)", "serial [0x03f8, 0x0400)", "right [0x0400, 0x0401)"),
                bus.describe());
    }

    @Test
    void rangesMustFitTheSixteenBitPortSpace() {
        IoBus bus = new IoBus();
        bus.register("top", 0xfff8, 8, new Recorder());
        assertThrows(IllegalArgumentException.class, () -> bus.register("past", 0xfffc, 8, new Recorder()));
        assertThrows(IllegalArgumentException.class, () -> bus.register("empty", 0x10, 0, new Recorder()));
    }

    @Test
    void accessesGoToTheDeviceWithOffsetsRelativeToItsBase() {
        IoBus bus = new IoBus();
        Recorder dev = new Recorder();
        bus.register("dev", 0x100, 4, dev);
        bus.write(0x102, 1, 0x1ab);   // masked to the access size
        assertEquals(0x42, bus.read(0x102, 1));
        assertEquals(0x3341, bus.read(0x101, 2));
        assertEquals(List.of("w1@2=ab", "r1@2", "r2@1"), dev.log);
        assertEquals(Map.of("dev", 3L), bus.accessesByDevice());
    }

    @Test
    void unmappedPortsReadAllOnesIgnoreWritesAndAreCountedPerPort() {
        IoBus bus = new IoBus();
        bus.register("dev", 0x100, 4, new Recorder());
        assertEquals(0xff, bus.read(0xe0, 1));
        assertEquals(0xffff, bus.read(0xe0, 2));
        assertEquals(0xffffffff, bus.read(0x80, 4));
        bus.write(0xe0, 4, 0x1234);
        bus.write(0x104, 1, 0);
        assertEquals(List.of(new UnmappedAccesses.Count(0x80, 1, 0), new UnmappedAccesses.Count(0xe0, 2, 1),
                new UnmappedAccesses.Count(0x104, 0, 1)), bus.unmapped().counts());
        assertEquals(5, bus.unmapped().total());
    }

    @Test
    void aRepExitIsDoneItemByItemInBothDirections() {
        try (Arena arena = Arena.ofConfined()) {
            KvmRun run = KvmRun.allocate(arena);
            IoBus bus = new IoBus();
            Recorder dev = new Recorder();
            bus.register("dev", 0xe0, 4, dev);

            // rep outsw of 3 words
            run.io().direction(IoDirection.KVM_EXIT_IO_OUT).size(2).port(0xe0).count(3)
                    .dataOffset(KvmRun.PIO_DATA_OFFSET);
            MemorySegment data = run.io().data();
            data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0x0102);
            data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) 0x0304);
            data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short) 0x0506);
            bus.handle(run.io());
            assertEquals(List.of("w2@0=102", "w2@0=304", "w2@0=506"), dev.log);

            // rep insl of 2 dwords at port 0xe1
            dev.log.clear();
            run.io().direction(IoDirection.KVM_EXIT_IO_IN).size(4).port(0xe1).count(2);
            bus.handle(run.io());
            assertEquals(List.of("r4@1", "r4@1"), dev.log);
            assertEquals(0x11223341, run.io().data().get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            assertEquals(0x11223341, run.io().data().get(ValueLayout.JAVA_INT_UNALIGNED, 4));

            // an IN from an unmapped port fills the data with ones
            run.io().direction(IoDirection.KVM_EXIT_IO_IN).size(1).port(0x60).count(1);
            run.io().data().set(ValueLayout.JAVA_BYTE, 0, (byte) 0);
            bus.handle(run.io());
            assertEquals((byte) 0xff, run.io().data().get(ValueLayout.JAVA_BYTE, 0));
        }
    }
}
