package io.jkvm.runtime.loader;

import io.jkvm.runtime.GuestLayout;

/**
 * The tables a loader-started protected-mode or long-mode guest runs on until it installs its own: the boot GDT,
 * an empty IDT and the long-mode identity map of the first 4 GiB in 2 MiB pages, at the addresses of
 * {@link GuestLayout}.
 */
public final class BootStructures {
    private BootStructures() {
    }

    /** Limit of the (notional) 64-bit TSS the boot TR points at: 104 bytes. */
    public static final int TSS_LIMIT = 0x67;

    static final long PTE_PRESENT = 1;
    static final long PTE_WRITABLE = 1 << 1;
    static final long PTE_PAGE_SIZE = 1 << 7;
    static final long LARGE_PAGE = 2L << 20;

    /** Access bytes and flag nibbles of the boot descriptors. */
    static final int ACCESS_CODE = 0x9b;   // present, DPL 0, code, execute/read, accessed
    static final int ACCESS_DATA = 0x93;   // present, DPL 0, data, read/write, accessed
    static final int ACCESS_TSS = 0x8b;    // present, DPL 0, busy 64-bit TSS
    static final int FLAGS_CODE64 = 0xa;   // G, L
    static final int FLAGS_FLAT32 = 0xc;   // G, D/B

    /**
     * A segment descriptor in GDT format.
     *
     * @param limit 20-bit limit (in 4 KiB units when flags has G)
     */
    public static long descriptor(long base, long limit, int access, int flags) {
        return (limit & 0xffffL)
                | (base & 0xffffffL) << 16
                | (long) (access & 0xff) << 40
                | ((limit >>> 16) & 0xfL) << 48
                | (long) (flags & 0xf) << 52
                | ((base >>> 24) & 0xffL) << 56;
    }

    /** Writes the boot GDT (null, 64-bit code, data, 32-bit code, TSS) and the empty IDT. */
    public static void writeDescriptorTables(GuestRam ram) {
        long gdt = GuestLayout.BOOT_GDT_START;
        ram.putLong(gdt, 0);
        ram.putLong(gdt + GuestLayout.SELECTOR_CODE64, descriptor(0, 0xfffff, ACCESS_CODE, FLAGS_CODE64));
        ram.putLong(gdt + GuestLayout.SELECTOR_DATA, descriptor(0, 0xfffff, ACCESS_DATA, FLAGS_FLAT32));
        ram.putLong(gdt + GuestLayout.SELECTOR_CODE32, descriptor(0, 0xfffff, ACCESS_CODE, FLAGS_FLAT32));
        ram.putLong(gdt + GuestLayout.SELECTOR_TSS, descriptor(0, TSS_LIMIT, ACCESS_TSS, 0));
        ram.putLong(gdt + GuestLayout.SELECTOR_TSS + 8, 0);  // upper half of the 16-byte system descriptor
        ram.fill(GuestLayout.BOOT_IDT_START, GuestLayout.BOOT_IDT_SIZE, (byte) 0);
    }

    /** Writes the identity map of the first 4 GiB (2 MiB pages, supervisor, writable); returns CR3. */
    public static long writeIdentityMap(GuestRam ram) {
        ram.fill(GuestLayout.PML4_START, GuestLayout.PAGE_TABLES_END - GuestLayout.PML4_START, (byte) 0);
        ram.putLong(GuestLayout.PML4_START, GuestLayout.PDPT_START | PTE_PRESENT | PTE_WRITABLE);
        for (int i = 0; i < GuestLayout.PD_COUNT; i++) {
            long pd = GuestLayout.PD_START + i * GuestLayout.PAGE_SIZE;
            ram.putLong(GuestLayout.PDPT_START + i * 8L, pd | PTE_PRESENT | PTE_WRITABLE);
            for (int j = 0; j < 512; j++) {
                long page = ((long) i * 512 + j) * LARGE_PAGE;
                ram.putLong(pd + j * 8L, page | PTE_PRESENT | PTE_WRITABLE | PTE_PAGE_SIZE);
            }
        }
        return GuestLayout.PML4_START;
    }
}
