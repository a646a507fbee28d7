package io.jkvm.mmu;

import static io.jkvm.mmu.PageWalker.PTE_P;
import static io.jkvm.mmu.PageWalker.PTE_PS;
import static io.jkvm.mmu.PageWalker.PTE_RW;
import static io.jkvm.mmu.PageWalker.PTE_US;

/** Builds 4-level page tables in a {@link TestRam}: tables get P|RW|US, so a test restricts access at the leaf or edits an upper entry. */
final class PageTables {
    static final long SIZE_4K = 1L << 12;
    static final long SIZE_2M = 1L << 21;
    static final long SIZE_1G = 1L << 30;
    private static final long ADDRESS = 0x000F_FFFF_FFFF_F000L;

    private final TestRam ram;
    private long next;
    final long cr3;

    PageTables(TestRam ram, long firstFreePage) {
        this.ram = ram;
        this.next = firstFreePage;
        this.cr3 = allocate();
    }

    long allocate() {
        long page = next;
        next += 4096;
        ram.ram.asSlice(page, 4096).fill((byte) 0);
        return page;
    }

    static int index(long va, int level) {
        return (int) (va >>> (12 + 9 * (level - 1))) & 511;
    }

    /** Maps the page of {@code pageSize} holding {@code va} to {@code pa} with {@code leafFlags} (PS is added for large pages). */
    void map(long va, long pa, long pageSize, long leafFlags) {
        int leafLevel = pageSize == SIZE_1G ? 3 : pageSize == SIZE_2M ? 2 : 1;
        long table = cr3;
        for (int level = 4; level > leafLevel; level--) {
            long addr = table + index(va, level) * 8L;
            long e = ram.get64(addr);
            if ((e & PTE_P) == 0) {
                e = allocate() | PTE_P | PTE_RW | PTE_US;
                ram.put64(addr, e);
            }
            table = e & ADDRESS;
        }
        ram.put64(table + index(va, leafLevel) * 8L, pa | leafFlags | (leafLevel > 1 ? PTE_PS : 0));
    }

    /** Guest-physical address of the entry for {@code va} at {@code level} (4 = PML4E), following present entries. */
    long entryAddress(long va, int level) {
        long table = cr3;
        for (int l = 4; l > level; l--) {
            table = ram.get64(table + index(va, l) * 8L) & ADDRESS;
        }
        return table + index(va, level) * 8L;
    }

    long entry(long va, int level) {
        return ram.get64(entryAddress(va, level));
    }

    void setEntry(long va, int level, long value) {
        ram.put64(entryAddress(va, level), value);
    }
}
