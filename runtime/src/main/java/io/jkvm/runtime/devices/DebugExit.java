package io.jkvm.runtime.devices;

import java.util.OptionalInt;

/**
 * QEMU's {@code isa-debug-exit} as jkvm's guests use it ({@code -device isa-debug-exit,iobase=0xf4,iosize=4}): a
 * write of any size (the guests use a 32-bit {@code out}) to the window asks the VMM to end the run with exit
 * status {@code value & 0xff}. QEMU itself exits with {@code (value << 1) | 1}, so that a guest cannot fake QEMU's
 * own status 0; jkvm reports the guest's value unchanged (its own failures use separate codes, see the CLI). The
 * first write wins; reads return 0.
 */
public final class DebugExit implements PioDevice {
    private int status = -1;

    @Override
    public int read(int offset, int size) {
        return 0;
    }

    @Override
    public synchronized void write(int offset, int size, int value) {
        if (status < 0) {
            status = value & 0xff;
        }
    }

    /** The status the guest asked to exit with, once it has. */
    public synchronized OptionalInt status() {
        return status < 0 ? OptionalInt.empty() : OptionalInt.of(status);
    }
}
