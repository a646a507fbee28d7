package io.jkvm.mmu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The dirty-page bitmap of one memory slot: bit n set means page n of the slot (guest-physical
 * {@code slot.guestPhysAddr() + n * 4096}) was written since the bit was last cleared.
 *
 * <p>It is kept as 64-bit words because that is KVM's layout ({@code unsigned long} words, bit n of the bitmap =
 * bit {@code n % 64} of word {@code n / 64}), so {@code KVM_GET_DIRTY_LOG} is a word-by-word copy in little-endian
 * order and {@code KVM_CLEAR_DIRTY_LOG} is a word-by-word and-not. Words are updated atomically because every vcpu
 * marks pages concurrently while userspace harvests: marking uses an atomic OR, harvesting an atomic exchange
 * (or an atomic and-not), so no write is ever lost between a read and a clear. {@link #markPage} first reads the
 * word and skips the atomic operation when the bit is already set: after the first write to a page the cost is one
 * plain load, and the cache line stays shared between vcpus.
 *
 * <p>The log survives a slot's move and flag changes that keep dirty logging on, as in KVM; turning logging off
 * drops it.
 */
public final class DirtyLog {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final long pages;
    private final long[] words;

    DirtyLog(long pages) {
        this.pages = pages;
        this.words = new long[(int) ((pages + 63) >>> 6)];
    }

    /** Number of pages (bits) in the log: the slot's size / 4096. */
    public long pages() {
        return pages;
    }

    /** Bytes KVM copies for this log: {@code ALIGN(npages, 64) / 8}, as {@code kvm_dirty_bitmap_bytes()}. */
    public long bitmapBytes() {
        return (long) words.length * Long.BYTES;
    }

    /** Marks page {@code page} (index within the slot) dirty. Cheap when it already is. */
    public void markPage(long page) {
        int w = (int) (page >>> 6);
        long bit = 1L << page; // shift counts are taken mod 64
        if (((long) WORD.getOpaque(words, w) & bit) == 0) {
            WORD.getAndBitwiseOr(words, w, bit);
        }
    }

    public boolean isDirty(long page) {
        return ((long) WORD.getVolatile(words, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    /** Number of dirty pages right now (a snapshot; vcpus may be adding more). */
    public long dirtyCount() {
        long n = 0;
        for (int w = 0; w < words.length; w++) {
            n += Long.bitCount((long) WORD.getVolatile(words, w));
        }
        return n;
    }

    /** Sets every page dirty: {@code KVM_DIRTY_LOG_INITIALLY_SET}. */
    void setAll() {
        for (int w = 0; w < words.length; w++) {
            long remaining = pages - ((long) w << 6);
            WORD.setVolatile(words, w, remaining >= 64 ? -1L : (1L << remaining) - 1);
        }
    }

    /**
     * Copies the log into {@code bitmap} in KVM's layout and, when {@code clear}, atomically clears what it copied.
     * The caller checked the segment's size.
     *
     * @return whether any bit was cleared (the pages must be write-protected again)
     */
    boolean copyTo(MemorySegment bitmap, boolean clear) {
        boolean cleared = false;
        for (int w = 0; w < words.length; w++) {
            long value;
            if (clear) {
                // The plain read skips the atomic exchange for clean words, as KVM's loop does.
                value = (long) WORD.getVolatile(words, w);
                if (value != 0) {
                    value = (long) WORD.getAndSet(words, w, 0L);
                    cleared |= value != 0;
                }
            } else {
                value = (long) WORD.getVolatile(words, w);
            }
            bitmap.set(LE_LONG, (long) w * Long.BYTES, value);
        }
        return cleared;
    }

    /**
     * Clears the pages {@code firstPage .. firstPage+numPages-1} whose bit is set in {@code mask} (bit n of the
     * mask = page {@code firstPage + n}); {@code firstPage} is a multiple of 64 (checked by the caller).
     *
     * @return whether any bit was actually cleared
     */
    boolean clear(long firstPage, long numPages, MemorySegment mask) {
        boolean cleared = false;
        int first = (int) (firstPage >>> 6);
        long n = (numPages + 63) >>> 6;
        for (int i = 0; i < n; i++) {
            long m = mask.get(LE_LONG, (long) i * Long.BYTES);
            if (m == 0) {
                continue;
            }
            // Bits beyond the slot's last page are never set, so a mask that covers them clears nothing there.
            long before = (long) WORD.getAndBitwiseAnd(words, first + i, ~m);
            cleared |= (before & m) != 0;
        }
        return cleared;
    }
}
