package io.jkvm.runtime.devices;

/**
 * A device on the {@link MmioBus}. Offsets are relative to the base address the device was registered at; sizes are
 * 1 to 8 bytes. Values are little-endian in the low {@code size * 8} bits.
 */
public interface MmioDevice {
    /** A load of {@code size} bytes at {@code base + offset}; only the low {@code size * 8} bits are used. */
    long read(long offset, int size);

    /** A store of {@code size} bytes at {@code base + offset}. */
    void write(long offset, int size, long value);
}
