package io.jkvm.mmu;

import java.util.Arrays;

/**
 * One vcpu's software TLB: what generated code reads inline on every guest memory access, so its layout is a
 * contract with the translator.
 *
 * <p><b>Layout.</b> {@link #SIZE} = 4,096 entries, direct-mapped on {@code (vaddr >>> 12) & (SIZE - 1)}
 * ({@link #index}); the size was measured by others: 256 entries spent 49% of the time in the slow path, 4,096 spent
 * 1.3%. Three arrays, one per access kind ({@link #read}, {@link #write}, {@link #fetch}), each interleaving
 * {@code [2*i]} = tag and {@code [2*i+1]} = addend, so that a lookup touches one cache line:
 * <pre>{@code
 *   int i = (int) (vaddr >>> 12) & (Tlb.SIZE - 1);
 *   if (tlb.read[2 * i] == ((vaddr & ~0xFFFL) | (cpl3 ? 1 : 0)))   // hit
 *       value = ALL.get(JAVA_INT_UNALIGNED, vaddr + tlb.read[2 * i + 1]);
 *   else
 *       gpa = mmu.translate(vaddr, Access.READ, cpl3);          // slow path, fills the entry when it can
 * }</pre>
 * The caller keeps accesses that cross a page boundary off the fast path. The <b>tag</b> is the virtual page address
 * OR'ed with {@link #USER} when the entry was filled for a CPL 3 access, so one table serves both privilege levels
 * without a flush on every CPL change (a user entry never satisfies a supervisor lookup or the other way round).
 * An <b>empty</b> entry holds {@link #EMPTY} = -1, which no lookup tag can equal: lookup tags have bits 11:1 clear.
 * The <b>addend</b> is {@code hostAddress - virtualPageAddress}, so the host address of a byte is
 * {@code vaddr + addend} (QEMU's trick: one add, no page offset masking). For {@code fetch} the guest-physical page
 * of each entry is kept in {@link #fetchPhysPage} (indexed by {@code i}, not interleaved), because the translator
 * keys its code cache by physical address.
 *
 * <p><b>What may be cached</b> is decided by {@link Mmu}: read and fetch entries for RAM, write entries only for
 * writable, non-READONLY RAM already marked dirty when logging and holding no translated code. Entries are always
 * 4 KiB even for large pages; the large pages they came from are remembered so that {@link #flushPage} (INVLPG)
 * can drop every 4 KiB piece of a large page, as INVLPG does on the CPU.
 *
 * <p>Not thread-safe: only the owning vcpu's thread reads or changes it. Other threads ask for flushes through the
 * generation counters that {@link Mmu#sync()} checks.
 */
public final class Tlb {
    /** log2 of the number of entries. */
    public static final int BITS = 12;
    public static final int SIZE = 1 << BITS;
    public static final int MASK = SIZE - 1;
    /** The tag of an empty entry: never equal to {@code (vaddr & ~0xFFF) | user}. */
    public static final long EMPTY = -1L;
    /** Tag bit 0: the entry was filled for a user-mode (CPL 3) access. */
    public static final long USER = 1L;
    /** Clears the page offset of a virtual address. */
    public static final long PAGE_MASK = ~0xFFFL;
    /** What the {@code lookup*} helpers return on a miss. */
    public static final long MISS = -1L;

    /** Read entries: {@code [2*i]} tag, {@code [2*i+1]} addend. */
    public final long[] read = new long[2 * SIZE];
    /** Write entries: {@code [2*i]} tag, {@code [2*i+1]} addend. */
    public final long[] write = new long[2 * SIZE];
    /** Instruction-fetch entries: {@code [2*i]} tag, {@code [2*i+1]} addend. */
    public final long[] fetch = new long[2 * SIZE];
    /** Guest-physical page address of fetch entry {@code i}; meaningful only while that entry is not empty. */
    public final long[] fetchPhysPage = new long[SIZE];

    /** At most this many large pages are remembered for INVLPG; beyond that INVLPG flushes everything. */
    private static final int LARGE_PAGES = 16;
    private final long[] largeBase = new long[LARGE_PAGES];
    private final long[] largeSize = new long[LARGE_PAGES];
    private int largeCount;
    private boolean largeOverflow;

    private long fills;
    private long flushes;
    private long pageFlushes;
    private long writeFlushes;

    public Tlb() {
        flush();
        flushes = 0;
    }

    /** The entry index of {@code vaddr}. */
    public static int index(long vaddr) {
        return (int) (vaddr >>> 12) & MASK;
    }

    /** The tag a lookup compares against. */
    public static long tag(long vaddr, boolean user) {
        return (vaddr & PAGE_MASK) | (user ? USER : 0);
    }

    /** Caches a read mapping of the 4 KiB page holding {@code vaddr}. */
    public void fillRead(long vaddr, boolean user, long hostPageAddress, long physPage) {
        fill(read, vaddr, user, hostPageAddress);
    }

    public void fillWrite(long vaddr, boolean user, long hostPageAddress, long physPage) {
        fill(write, vaddr, user, hostPageAddress);
    }

    public void fillFetch(long vaddr, boolean user, long hostPageAddress, long physPage) {
        fill(fetch, vaddr, user, hostPageAddress);
        fetchPhysPage[index(vaddr)] = physPage & PAGE_MASK;
    }

    /**
     * The same fills for a 4 KiB piece of a page of {@code pageSize} bytes (2 MiB, 4 MiB, 1 GiB): remembers the
     * large page so that INVLPG of any address in it drops this entry.
     */
    public void fillRead(long vaddr, boolean user, long hostPageAddress, long physPage, long pageSize) {
        noteLargePage(vaddr, pageSize);
        fillRead(vaddr, user, hostPageAddress, physPage);
    }

    public void fillWrite(long vaddr, boolean user, long hostPageAddress, long physPage, long pageSize) {
        noteLargePage(vaddr, pageSize);
        fillWrite(vaddr, user, hostPageAddress, physPage);
    }

    public void fillFetch(long vaddr, boolean user, long hostPageAddress, long physPage, long pageSize) {
        noteLargePage(vaddr, pageSize);
        fillFetch(vaddr, user, hostPageAddress, physPage);
    }

    private void fill(long[] array, long vaddr, boolean user, long hostPageAddress) {
        int i = index(vaddr);
        long page = vaddr & PAGE_MASK;
        array[2 * i] = page | (user ? USER : 0);
        array[2 * i + 1] = (hostPageAddress & PAGE_MASK) - page;
        fills++;
    }

    private void noteLargePage(long vaddr, long pageSize) {
        if (pageSize <= 4096) {
            return;
        }
        long base = vaddr & -pageSize;
        for (int k = 0; k < largeCount; k++) {
            if (largeBase[k] == base && largeSize[k] == pageSize) {
                return;
            }
        }
        if (largeCount == LARGE_PAGES) {
            largeOverflow = true;
            return;
        }
        largeBase[largeCount] = base;
        largeSize[largeCount] = pageSize;
        largeCount++;
    }

    /** Host address for a read of {@code vaddr}, or {@link #MISS}. */
    public long lookupRead(long vaddr, boolean user) {
        return lookup(read, vaddr, user);
    }

    public long lookupWrite(long vaddr, boolean user) {
        return lookup(write, vaddr, user);
    }

    public long lookupFetch(long vaddr, boolean user) {
        return lookup(fetch, vaddr, user);
    }

    private static long lookup(long[] array, long vaddr, boolean user) {
        int i = index(vaddr);
        return array[2 * i] == tag(vaddr, user) ? vaddr + array[2 * i + 1] : MISS;
    }

    /** Drops every entry (MOV to CR3, paging-mode changes, slot changes). */
    public void flush() {
        Arrays.fill(read, EMPTY);
        Arrays.fill(write, EMPTY);
        Arrays.fill(fetch, EMPTY);
        largeCount = 0;
        largeOverflow = false;
        flushes++;
    }

    /**
     * INVLPG: drops the entries of the page holding {@code vaddr} for both privilege levels, and every entry that
     * came from a large page containing {@code vaddr}.
     */
    public void flushPage(long vaddr) {
        pageFlushes++;
        if (largeOverflow) {
            flush();
            return;
        }
        clearIndex(index(vaddr));
        for (int k = 0; k < largeCount; k++) {
            long base = largeBase[k];
            long size = largeSize[k];
            if ((vaddr & -size) != base) {
                continue;
            }
            long pages = Math.min(size >>> 12, SIZE);
            int first = index(base);
            for (int n = 0; n < pages; n++) {
                int i = (first + n) & MASK;
                clearIfIn(read, i, base, size);
                clearIfIn(write, i, base, size);
                clearIfIn(fetch, i, base, size);
            }
            largeCount--;
            largeBase[k] = largeBase[largeCount];
            largeSize[k] = largeSize[largeCount];
            k--;
        }
    }

    private void clearIndex(int i) {
        read[2 * i] = EMPTY;
        write[2 * i] = EMPTY;
        fetch[2 * i] = EMPTY;
    }

    private static void clearIfIn(long[] array, int i, long base, long size) {
        long tag = array[2 * i];
        if (tag != EMPTY && (tag & -size) == base) {
            array[2 * i] = EMPTY;
        }
    }

    /** Drops the write entries only: pages were write-protected again (dirty log cleared, new code). */
    public void flushWrites() {
        Arrays.fill(write, EMPTY);
        writeFlushes++;
    }

    /** Entries filled since creation. */
    public long fills() {
        return fills;
    }

    /** Full flushes since creation. */
    public long flushes() {
        return flushes;
    }

    /** INVLPG-style single-page flushes since creation. */
    public long pageFlushes() {
        return pageFlushes;
    }

    /** Write-only flushes since creation. */
    public long writeFlushes() {
        return writeFlushes;
    }
}
