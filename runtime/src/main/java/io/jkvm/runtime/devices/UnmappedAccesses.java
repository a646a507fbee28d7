package io.jkvm.runtime.devices;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The explicit policy for addresses no device claims: reads return all ones (the value a floating ISA/PCI bus
 * gives), writes are ignored, and every access is counted per address so that {@code jkvm run --stats} shows what
 * the guest touched. At most {@link #MAX_TRACKED} distinct addresses are tracked; accesses to further addresses are
 * counted together in {@link #untrackedAccesses()}, so a guest scanning memory cannot grow the table without bound.
 */
public final class UnmappedAccesses {
    /** Distinct addresses tracked individually. */
    public static final int MAX_TRACKED = 4096;

    /** Accesses to one unmapped address. */
    public record Count(long address, long reads, long writes) {
    }

    private final TreeMap<Long, long[]> counts = new TreeMap<>();
    private long untracked;

    /** All ones in the low {@code size} bytes: what an unmapped read returns. */
    public static long allOnes(int size) {
        return size >= 8 ? -1L : (1L << (size * 8)) - 1;
    }

    synchronized void countRead(long address) {
        long[] c = slot(address);
        if (c == null) {
            untracked++;
        } else {
            c[0]++;
        }
    }

    synchronized void countWrite(long address) {
        long[] c = slot(address);
        if (c == null) {
            untracked++;
        } else {
            c[1]++;
        }
    }

    private long[] slot(long address) {
        long[] c = counts.get(address);
        if (c == null && counts.size() < MAX_TRACKED) {
            c = new long[2];
            counts.put(address, c);
        }
        return c;
    }

    /** The counts, by ascending address. */
    public synchronized List<Count> counts() {
        List<Count> list = new ArrayList<>(counts.size());
        for (Map.Entry<Long, long[]> e : counts.entrySet()) {
            list.add(new Count(e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        return list;
    }

    /** Accesses to addresses beyond the first {@link #MAX_TRACKED} distinct ones. */
    public synchronized long untrackedAccesses() {
        return untracked;
    }

    /** Total accesses counted. */
    public synchronized long total() {
        long t = untracked;
        for (long[] c : counts.values()) {
            t += c[0] + c[1];
        }
        return t;
    }
}
