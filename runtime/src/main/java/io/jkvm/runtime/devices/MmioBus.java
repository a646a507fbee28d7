package io.jkvm.runtime.devices;

import io.jkvm.abi.KvmRun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The MMIO bus: devices on non-overlapping guest-physical ranges; the run loop hands it each
 * {@code KVM_EXIT_MMIO}. Addresses no device claims follow the {@link UnmappedAccesses} policy (reads all ones,
 * writes dropped, counted per address).
 */
public final class MmioBus {
    /** Guest-physical addresses are below 2^52 on x86-64; the bus accepts any non-negative long. */
    public static final long ADDRESS_LIMIT = Long.MAX_VALUE;

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final RangeMap<MmioDevice> devices = new RangeMap<>(8);
    private final UnmappedAccesses unmapped = new UnmappedAccesses();

    /** Puts {@code device} on {@code [base, base + length)}; fails on overlap. */
    public void register(String name, long base, long length, MmioDevice device) {
        devices.insert(name, base, length, device, ADDRESS_LIMIT);
    }

    /** A load of {@code size} bytes (1..8) at {@code address}. */
    public long read(long address, int size) {
        RangeMap.Range<MmioDevice> r = devices.find(address);
        if (r == null) {
            unmapped.countRead(address);
            return UnmappedAccesses.allOnes(size);
        }
        return r.value().read(address - r.base(), size) & UnmappedAccesses.allOnes(size);
    }

    /** A store of {@code size} bytes (1..8) at {@code address}. */
    public void write(long address, int size, long value) {
        RangeMap.Range<MmioDevice> r = devices.find(address);
        if (r == null) {
            unmapped.countWrite(address);
            return;
        }
        r.value().write(address - r.base(), size, value & UnmappedAccesses.allOnes(size));
    }

    /** Completes a {@code KVM_EXIT_MMIO}: a store goes to the device, a load's result goes into {@code mmio.data}. */
    public void handle(KvmRun.Mmio mmio) {
        int len = mmio.len();
        if (len < 1 || len > 8) {
            throw new IllegalArgumentException("KVM_EXIT_MMIO with len " + len + " (must be 1 to 8)");
        }
        MemorySegment data = mmio.data();
        if (mmio.isWrite() != 0) {
            write(mmio.physAddr(), len, data.get(U64, 0));
        } else {
            data.set(U64, 0, read(mmio.physAddr(), len));
        }
    }

    public UnmappedAccesses unmapped() {
        return unmapped;
    }

    /** The registered devices as "name [0x..., 0x...)" lines, by address. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (RangeMap.Range<MmioDevice> r : devices.all()) {
            lines.add(r.name() + " " + devices.format(r.base(), r.length()));
        }
        return lines;
    }
}
