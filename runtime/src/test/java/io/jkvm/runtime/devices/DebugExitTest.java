package io.jkvm.runtime.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

class DebugExitTest {

    @Test
    void aThirtyTwoBitWriteGivesTheLowByteAsStatusAndTheFirstWriteWins() {
        DebugExit d = new DebugExit();
        assertTrue(d.status().isEmpty());
        d.write(0, 4, 0x1234_5601);
        assertEquals(OptionalInt.of(0x01), d.status());
        d.write(0, 4, 7);
        assertEquals(OptionalInt.of(0x01), d.status());
    }

    @Test
    void byteWritesWorkToo() {
        DebugExit d = new DebugExit();
        d.write(0, 1, 0x7f);
        assertEquals(OptionalInt.of(0x7f), d.status());
    }

    @Test
    void onTheBusAGuestOutlToPort0xf4EndsWithTheStatus() {
        IoBus bus = new IoBus();
        DebugExit d = new DebugExit();
        bus.register("debug-exit", 0xf4, 4, d);
        assertEquals(0, bus.read(0xf4, 4));
        assertTrue(d.status().isEmpty(), "reads do not exit");
        bus.write(0xf4, 4, 0xfffffffe);
        assertEquals(OptionalInt.of(0xfe), d.status());
    }
}
