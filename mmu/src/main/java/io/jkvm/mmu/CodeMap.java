package io.jkvm.mmu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Which guest-physical bytes hold code that the translator has turned into JVM code, so that a guest store can be
 * checked for self-modifying code. One per VM (owned by {@link GuestMemory}), shared by all vcpus.
 *
 * <p><b>Precision.</b> Pages are tracked with one bit per byte (a 4 KiB page costs 512 bytes of bitmap plus a
 * 64-bit summary with one bit per 64-byte line). Byte precision matters because small guests put data right after
 * code in the same page, often in the same 16-byte chunk: with a coarser map every store to such data would
 * look like code modification and throw away translations. Stores to a page with code never get a TLB write entry
 * ({@link Mmu} checks {@link #pageHasCode}), so they take the slow path, and there {@link #overlapsCode} tells a
 * data store (the common case) from a real code write with a few word tests.
 *
 * <p><b>Structure.</b> An open-addressing hash table from page number to the page's bitmap. Readers
 * ({@link #pageHasCode}, {@link #overlapsCode}) take no lock and allocate nothing: they read the published table
 * and acquire-load keys, and writers store a page's bitmap before releasing its key. Writers (marking, clearing)
 * serialize on this object. Entries are never removed (a cleared page keeps a zero bitmap), so the table is
 * bounded by the number of RAM pages that ever held code.
 *
 * <p><b>Protocol with the vcpus.</b> When a page gets its first code, vcpus may hold TLB write entries for it that
 * would let stores bypass the check: {@link #writeProtectGeneration()} moves, and each vcpu's {@link Mmu#sync()}
 * drops its write entries when it sees the move. The translator must mark the code before it reads the bytes it
 * translates and must run {@code sync()} before it executes the new block. Listeners hear about every page whose
 * code marks are cleared, so that the translator can drop the blocks translated from that page.
 */
public final class CodeMap {
    /** Told when code on a page is no longer valid: drop every block translated from that page. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Called on the thread that cleared the page, after its marks are gone: a vcpu or device thread that wrote
         * code, or the thread deleting or moving a slot (then while {@link GuestMemory} holds its slot lock). Must
         * not block; may call {@link #markCode} again (for example to retranslate at once).
         *
         * @param pageAddress the guest-physical address of the page (4 KiB aligned)
         */
        void codeInvalidated(long pageAddress);
    }

    private static final int PAGE_SHIFT = 12;
    private static final long PAGE_OFFSET_MASK = (1L << PAGE_SHIFT) - 1;
    /** Word 0 of a page's array is the summary (bit w = word w+1 is non-zero); words 1..64 hold one bit per byte. */
    private static final int WORDS_PER_PAGE = 1 + 64;
    private static final VarHandle KEY = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private static final class Table {
        /** Page number + 1, or 0 for an empty entry. */
        final long[] keys;
        final long[][] pages;
        final int mask;
        int used;

        Table(int capacity) {
            keys = new long[capacity];
            pages = new long[capacity][];
            mask = capacity - 1;
        }
    }

    private volatile Table table = new Table(256);
    private volatile long writeProtectGeneration;
    private int codePages;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Listener listener) {
        listeners.remove(listener);
    }

    /**
     * Moves whenever a page that held no code gets some: vcpus must then drop their TLB write entries (see
     * {@link Mmu#sync()}).
     */
    public long writeProtectGeneration() {
        return writeProtectGeneration;
    }

    /** Records that the {@code length} bytes at guest-physical {@code gpa} were translated. May span pages. */
    public synchronized void markCode(long gpa, int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("markCode length must be positive, got " + length);
        }
        boolean newPage = false;
        long end = gpa + length;
        for (long start = gpa; start < end; ) {
            long pageEnd = (start | PAGE_OFFSET_MASK) + 1;
            long stop = Math.min(end, pageEnd);
            long[] bits = pageForWrite(start >>> PAGE_SHIFT);
            if (bits[0] == 0) {
                newPage = true;
                codePages++;
            }
            setBits(bits, (int) (start & PAGE_OFFSET_MASK), (int) (stop - start));
            start = stop;
        }
        if (newPage) {
            writeProtectGeneration++;
        }
    }

    /** Whether any byte of the 4 KiB page holding {@code gpa} holds translated code. */
    public boolean pageHasCode(long gpa) {
        long[] bits = pageForRead(gpa >>> PAGE_SHIFT);
        return bits != null && (long) WORD.getAcquire(bits, 0) != 0;
    }

    /** Whether any of the {@code length} bytes at {@code gpa} holds translated code. May span pages. */
    public boolean overlapsCode(long gpa, int length) {
        long end = gpa + length;
        for (long start = gpa; start < end; ) {
            long stop = Math.min(end, (start | PAGE_OFFSET_MASK) + 1);
            long[] bits = pageForRead(start >>> PAGE_SHIFT);
            if (bits != null && anyBit(bits, (int) (start & PAGE_OFFSET_MASK), (int) (stop - start))) {
                return true;
            }
            start = stop;
        }
        return false;
    }

    /**
     * The guest (or a device) wrote {@code length} bytes at {@code gpa}: when they overlap code, clears the
     * code marks of the touched pages and tells the listeners.
     *
     * @return whether code was hit (the caller must leave the current block if it was translated from those pages)
     */
    public boolean codeWritten(long gpa, int length) {
        if (!overlapsCode(gpa, length)) {
            return false;
        }
        long end = gpa + length;
        for (long page = gpa & ~PAGE_OFFSET_MASK; page < end; page += 1L << PAGE_SHIFT) {
            clearPage(page);
        }
        return true;
    }

    /** Forgets all code on the page holding {@code gpa} and tells the listeners if there was any. */
    public void clearPage(long gpa) {
        long page = gpa & ~PAGE_OFFSET_MASK;
        boolean had;
        synchronized (this) {
            had = clearLocked(page >>> PAGE_SHIFT);
        }
        if (had) {
            for (Listener l : listeners) {
                l.codeInvalidated(page);
            }
        }
    }

    /** Forgets all code in {@code [gpa, gpa+size)} (a slot was deleted or moved), telling the listeners per page. */
    public void clearRange(long gpa, long size) {
        long firstPfn = gpa >>> PAGE_SHIFT;
        long endPfn = (gpa + size + PAGE_OFFSET_MASK) >>> PAGE_SHIFT;
        Table t = table;
        for (int i = 0; i < t.keys.length; i++) {
            long key = (long) KEY.getAcquire(t.keys, i);
            if (key != 0 && key - 1 >= firstPfn && key - 1 < endPfn) {
                clearPage((key - 1) << PAGE_SHIFT);
            }
        }
    }

    /** Number of pages that hold code now. */
    public synchronized int codePages() {
        return codePages;
    }

    private boolean clearLocked(long pfn) {
        long[] bits = pageForRead(pfn);
        if (bits == null || bits[0] == 0) {
            return false;
        }
        for (int w = WORDS_PER_PAGE - 1; w >= 0; w--) {
            WORD.setRelease(bits, w, 0L);
        }
        codePages--;
        return true;
    }

    private static void setBits(long[] bits, int offset, int length) {
        int end = offset + length;
        while (offset < end) {
            int w = offset >>> 6;
            int stop = Math.min(end, (w + 1) << 6);
            long mask = rangeMask(offset & 63, stop - offset);
            WORD.setRelease(bits, 1 + w, bits[1 + w] | mask);
            // The summary is published after the word it announces, so a reader that sees it sees the word.
            WORD.setRelease(bits, 0, bits[0] | (1L << w));
            offset = stop;
        }
    }

    private static boolean anyBit(long[] bits, int offset, int length) {
        if ((long) WORD.getAcquire(bits, 0) == 0) {
            return false;
        }
        int end = offset + length;
        while (offset < end) {
            int w = offset >>> 6;
            int stop = Math.min(end, (w + 1) << 6);
            if (((long) WORD.getAcquire(bits, 1 + w) & rangeMask(offset & 63, stop - offset)) != 0) {
                return true;
            }
            offset = stop;
        }
        return false;
    }

    /** {@code count} (1..64) consecutive bits starting at bit {@code from}. */
    private static long rangeMask(int from, int count) {
        return (count == 64 ? -1L : (1L << count) - 1) << from;
    }

    private static int hash(long pfn) {
        long h = pfn * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32);
    }

    private long[] pageForRead(long pfn) {
        Table t = table;
        long key = pfn + 1;
        for (int i = hash(pfn) & t.mask; ; i = (i + 1) & t.mask) {
            long k = (long) KEY.getAcquire(t.keys, i);
            if (k == key) {
                return t.pages[i];
            }
            if (k == 0) {
                return null;
            }
        }
    }

    private long[] pageForWrite(long pfn) {
        long[] bits = pageForRead(pfn);
        if (bits != null) {
            return bits;
        }
        Table t = table;
        if ((t.used + 1) * 2 > t.keys.length) {
            t = grow(t);
        }
        bits = new long[WORDS_PER_PAGE];
        insert(t, pfn, bits);
        return bits;
    }

    private static void insert(Table t, long pfn, long[] bits) {
        int i = hash(pfn) & t.mask;
        while (t.keys[i] != 0) {
            i = (i + 1) & t.mask;
        }
        t.pages[i] = bits;
        KEY.setRelease(t.keys, i, pfn + 1);
        t.used++;
    }

    private Table grow(Table old) {
        Table t = new Table(old.keys.length * 2);
        for (int i = 0; i < old.keys.length; i++) {
            if (old.keys[i] != 0) {
                insert(t, old.keys[i] - 1, old.pages[i]);
            }
        }
        table = t;
        return t;
    }
}
