package io.jkvm.runtime.devices;

import io.jkvm.abi.IoDirection;
import io.jkvm.abi.KvmRun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The port-I/O bus: devices registered on non-overlapping port ranges; the run loop hands it each
 * {@code KVM_EXIT_IO} and it does every item of the access (REP INS/OUTS arrive as one exit with
 * {@code count > 1}). Ports no device claims follow the {@link UnmappedAccesses} policy: reads give all ones, writes
 * are dropped, both are counted per port.
 */
public final class IoBus {
    /** Ports are 16-bit. */
    public static final int PORT_LIMIT = 0xffff;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final RangeMap<PioDevice> devices = new RangeMap<>(4);
    private final UnmappedAccesses unmapped = new UnmappedAccesses();
    private final Map<String, long[]> accessesByDevice = new LinkedHashMap<>();

    /**
     * Puts {@code device} on ports {@code [base, base + count)}.
     *
     * @throws IllegalArgumentException if the range overlaps another device's or leaves the 16-bit port space
     */
    public void register(String name, int base, int count, PioDevice device) {
        devices.insert(name, base, count, device, PORT_LIMIT);
        synchronized (accessesByDevice) {
            accessesByDevice.putIfAbsent(name, new long[1]);
        }
    }

    /** An IN of {@code size} bytes (1, 2, 4) at {@code port}. */
    public int read(int port, int size) {
        RangeMap.Range<PioDevice> r = devices.find(port);
        if (r == null) {
            unmapped.countRead(port);
            return (int) UnmappedAccesses.allOnes(size);
        }
        count(r);
        return r.value().read((int) (port - r.base()), size) & (int) UnmappedAccesses.allOnes(size);
    }

    /** An OUT of {@code size} bytes (1, 2, 4) at {@code port}. */
    public void write(int port, int size, int value) {
        RangeMap.Range<PioDevice> r = devices.find(port);
        if (r == null) {
            unmapped.countWrite(port);
            return;
        }
        count(r);
        r.value().write((int) (port - r.base()), size, value & (int) UnmappedAccesses.allOnes(size));
    }

    /**
     * Completes a {@code KVM_EXIT_IO}: for OUT, writes each of the {@code count} items from the data area; for IN,
     * reads each item into it (the backend consumes them on the next {@code KVM_RUN}).
     */
    public void handle(KvmRun.Io io) {
        int size = io.size();
        if (size != 1 && size != 2 && size != 4) {
            throw new IllegalArgumentException("KVM_EXIT_IO with size " + size + " (must be 1, 2 or 4)");
        }
        int port = io.port();
        long count = Integer.toUnsignedLong(io.count());
        MemorySegment data = io.data();
        boolean in = io.direction() == IoDirection.KVM_EXIT_IO_IN;
        for (long i = 0; i < count; i++) {
            long at = i * size;
            if (in) {
                int v = read(port, size);
                switch (size) {
                    case 1 -> data.set(ValueLayout.JAVA_BYTE, at, (byte) v);
                    case 2 -> data.set(U16, at, (short) v);
                    default -> data.set(U32, at, v);
                }
            } else {
                int v = switch (size) {
                    case 1 -> Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, at));
                    case 2 -> Short.toUnsignedInt(data.get(U16, at));
                    default -> data.get(U32, at);
                };
                write(port, size, v);
            }
        }
    }

    private void count(RangeMap.Range<PioDevice> r) {
        synchronized (accessesByDevice) {
            accessesByDevice.get(r.name())[0]++;
        }
    }

    /** The unmapped-port counts. */
    public UnmappedAccesses unmapped() {
        return unmapped;
    }

    /** Accesses (items, not exits) per registered device name, in registration order. */
    public Map<String, Long> accessesByDevice() {
        synchronized (accessesByDevice) {
            Map<String, Long> m = new LinkedHashMap<>();
            accessesByDevice.forEach((k, v) -> m.put(k, v[0]));
            return m;
        }
    }

    /** The registered devices as "name [0x03f8, 0x0400)" lines, by port. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (RangeMap.Range<PioDevice> r : devices.all()) {
            lines.add(r.name() + " " + devices.format(r.base(), r.length()));
        }
        return lines;
    }
}
