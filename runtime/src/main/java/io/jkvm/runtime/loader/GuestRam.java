package io.jkvm.runtime.loader;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Guest-physical RAM as the loaders see it: the bytes {@code [0, size())}, backed by the memory the VMM gave
 * {@code Vm.setUserMemoryRegion} (so loaders never go through a backend). Every access is bounds-checked; a loader
 * validates its ranges first and reports them as a {@link LoaderException}, so an {@link IndexOutOfBoundsException}
 * from here means a loader bug, never a write outside guest memory.
 */
public interface GuestRam {

    /** Bytes of RAM, from guest-physical address 0. */
    long size();

    /** Copies {@code length} bytes of {@code source} from {@code offset} to guest-physical {@code address}. */
    void write(long address, MemorySegment source, long offset, long length);

    /** Sets {@code length} bytes at {@code address} to {@code value}. */
    void fill(long address, long length, byte value);

    void putByte(long address, byte value);

    void putShort(long address, short value);

    void putInt(long address, int value);

    void putLong(long address, long value);

    byte getByte(long address);

    int getInt(long address);

    long getLong(long address);

    /** True when {@code [address, address + length)} lies inside RAM (unsigned arithmetic, no overflow). */
    default boolean contains(long address, long length) {
        return address >= 0 && length >= 0 && address <= size() && length <= size() - address;
    }

    /** RAM over {@code memory}, which holds guest-physical {@code [0, memory.byteSize())}. */
    static GuestRam of(MemorySegment memory) {
        return new SegmentRam(Objects.requireNonNull(memory, "memory"));
    }

    /** The {@link GuestRam} over one memory segment mapped at guest-physical 0. */
    final class SegmentRam implements GuestRam {
        private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final MemorySegment memory;

        private SegmentRam(MemorySegment memory) {
            this.memory = memory;
        }

        @Override
        public long size() {
            return memory.byteSize();
        }

        @Override
        public void write(long address, MemorySegment source, long offset, long length) {
            MemorySegment.copy(source, offset, memory, address, length);
        }

        @Override
        public void fill(long address, long length, byte value) {
            memory.asSlice(address, length).fill(value);
        }

        @Override
        public void putByte(long address, byte value) {
            memory.set(ValueLayout.JAVA_BYTE, address, value);
        }

        @Override
        public void putShort(long address, short value) {
            memory.set(SHORT, address, value);
        }

        @Override
        public void putInt(long address, int value) {
            memory.set(INT, address, value);
        }

        @Override
        public void putLong(long address, long value) {
            memory.set(LONG, address, value);
        }

        @Override
        public byte getByte(long address) {
            return memory.get(ValueLayout.JAVA_BYTE, address);
        }

        @Override
        public int getInt(long address) {
            return memory.get(INT, address);
        }

        @Override
        public long getLong(long address) {
            return memory.get(LONG, address);
        }
    }
}
