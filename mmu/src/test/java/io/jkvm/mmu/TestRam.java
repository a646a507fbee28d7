package io.jkvm.mmu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** A VM's memory for tests: one RAM slot (id 0) at guest-physical 0 over native memory, closed after the test. */
final class TestRam implements AutoCloseable {
    static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final Arena arena = Arena.ofShared();
    final GuestMemory memory;
    final MemorySegment ram;

    TestRam(long size) {
        this(size, 0);
    }

    TestRam(long size, int flags) {
        memory = new GuestMemory(32);
        ram = arena.allocate(size, 4096);
        memory.setUserMemoryRegion(0, flags, 0, size, ram);
    }

    MemorySegment allocate(long size) {
        return arena.allocate(size, 4096);
    }

    void put64(long gpa, long value) {
        ram.set(LE64, gpa, value);
    }

    long get64(long gpa) {
        return ram.get(LE64, gpa);
    }

    void put32(long gpa, int value) {
        ram.set(LE32, gpa, value);
    }

    int get32(long gpa) {
        return ram.get(LE32, gpa);
    }

    @Override
    public void close() {
        arena.close();
    }
}
