package io.jkvm.runtime.devices;

/**
 * A device on the {@link IoBus}. Offsets are relative to the base port the device was registered at; sizes are 1, 2
 * or 4 bytes. Values are little-endian in the low {@code size * 8} bits.
 */
public interface PioDevice {
    /** An IN of {@code size} bytes at {@code base + offset}; only the low {@code size * 8} bits are used. */
    int read(int offset, int size);

    /** An OUT of {@code size} bytes at {@code base + offset}. */
    void write(int offset, int size, int value);
}
