package io.jkvm.runtime.devices;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Non-overlapping {@code [base, base + length)} ranges mapped to values, sorted by base (Firecracker's bus map).
 * Registering a range that overlaps another fails, naming both.
 */
final class RangeMap<T> {
    /** A registered range. */
    record Range<T>(String name, long base, long length, T value) {
        long end() {
            return base + length;
        }

        boolean contains(long address) {
            return address >= base && address - base < length;
        }
    }

    private final TreeMap<Long, Range<T>> ranges = new TreeMap<>();
    private final int hexDigits;

    RangeMap(int hexDigits) {
        this.hexDigits = hexDigits;
    }

    synchronized void insert(String name, long base, long length, T value, long limit) {
        if (length <= 0) {
            throw new IllegalArgumentException(name + ": length must be positive, got " + length);
        }
        if (base < 0 || base > limit || length > limit - base + 1) {
            throw new IllegalArgumentException(name + ": range " + format(base, length) + " exceeds the bus, which ends at "
                    + hex(limit));
        }
        Map.Entry<Long, Range<T>> below = ranges.floorEntry(base + length - 1);
        if (below != null && below.getValue().end() > base) {
            Range<T> other = below.getValue();
            throw new IllegalArgumentException(name + " at " + format(base, length) + " overlaps " + other.name()
                    + " at " + format(other.base(), other.length()));
        }
        ranges.put(base, new Range<>(name, base, length, value));
    }

    synchronized Range<T> find(long address) {
        Map.Entry<Long, Range<T>> e = ranges.floorEntry(address);
        if (e == null || !e.getValue().contains(address)) {
            return null;
        }
        return e.getValue();
    }

    synchronized List<Range<T>> all() {
        return new ArrayList<>(ranges.values());
    }

    String format(long base, long length) {
        return "[" + hex(base) + ", " + hex(base + length) + ")";
    }

    String hex(long v) {
        return String.format("0x%0" + hexDigits + "x", v);
    }
}
