package io.jkvm.mmu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static io.jkvm.mmu.Access.EXECUTE;
import static io.jkvm.mmu.Access.READ;
import static io.jkvm.mmu.Access.WRITE;
import static io.jkvm.mmu.PageFault.FETCH;
import static io.jkvm.mmu.PageFault.PRESENT;
import static io.jkvm.mmu.PageFault.RSVD;
import static io.jkvm.mmu.PageFault.USER;
import static io.jkvm.mmu.PageTables.SIZE_1G;
import static io.jkvm.mmu.PageTables.SIZE_2M;
import static io.jkvm.mmu.PageTables.SIZE_4K;
import static io.jkvm.mmu.PageWalker.CR0_PE;
import static io.jkvm.mmu.PageWalker.CR0_PG;
import static io.jkvm.mmu.PageWalker.CR0_WP;
import static io.jkvm.mmu.PageWalker.CR4_LA57;
import static io.jkvm.mmu.PageWalker.CR4_PAE;
import static io.jkvm.mmu.PageWalker.CR4_PSE;
import static io.jkvm.mmu.PageWalker.CR4_SMAP;
import static io.jkvm.mmu.PageWalker.CR4_SMEP;
import static io.jkvm.mmu.PageWalker.EFER_LMA;
import static io.jkvm.mmu.PageWalker.EFER_LME;
import static io.jkvm.mmu.PageWalker.EFER_NXE;
import static io.jkvm.mmu.PageWalker.PTE_A;
import static io.jkvm.mmu.PageWalker.PTE_D;
import static io.jkvm.mmu.PageWalker.PTE_P;
import static io.jkvm.mmu.PageWalker.PTE_PS;
import static io.jkvm.mmu.PageWalker.PTE_RW;
import static io.jkvm.mmu.PageWalker.PTE_US;
import static io.jkvm.mmu.PageWalker.PTE_XD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Page walks over tables built by hand, one paging mode and one rule at a time (Intel SDM vol. 3A, chapter 4). */
class PageWalkerTest {
    private static final long LONG_CR0 = CR0_PE | CR0_PG | CR0_WP;
    private static final long LONG_CR4 = CR4_PAE;
    private static final long LONG_EFER = EFER_LME | EFER_LMA | EFER_NXE;
    private static final long ALL = PTE_P | PTE_RW | PTE_US;

    private final TestRam ram = new TestRam(0x40_0000);
    private final PageWalker walker = new PageWalker(ram.memory);
    private final WalkResult r = new WalkResult();

    @AfterEach
    void close() {
        ram.close();
    }

    private PageTables longMode(long cr0, long cr4, long efer) {
        PageTables pt = new PageTables(ram, 0x10000);
        assertTrue(walker.setRegisters(cr0, pt.cr3, cr4, efer, true));
        return pt;
    }

    private PageTables longMode() {
        return longMode(LONG_CR0, LONG_CR4, LONG_EFER);
    }

    private void assertPhys(long expected, long va, Access access, boolean user) {
        assertTrue(walker.walk(va, access, user, false, r), () -> "fault " + PageFault.describe(r.errorCode()));
        assertEquals(expected, r.physicalAddress(), "physical address of 0x" + Long.toHexString(va));
    }

    private void assertFault(int errorCode, long va, Access access, boolean user) {
        assertFalse(walker.walk(va, access, user, false, r), "walk should fault");
        assertEquals(WalkResult.Status.PAGE_FAULT, r.status());
        assertEquals(errorCode, r.errorCode(), () -> "got " + PageFault.describe(r.errorCode()));
        assertEquals(va, r.linearAddress());
    }

    // ------------------------------------------------------------------ paging off

    @Test
    void pagingOffIsIdentityWrappedTo32Bits() {
        walker.setRegisters(CR0_PE, 0, 0, 0, true);
        assertEquals(PagingMode.NONE, walker.mode());
        assertPhys(0x1234_5678L, 0x1234_5678L, WRITE, true);
        assertPhys(0xFFFF_FFF0L, 0x1_FFFF_FFF0L, READ, false);
        assertTrue(r.writable() && r.executable());
    }

    // ------------------------------------------------------------------ 4-level

    @Test
    void fourLevel4KPageSetsAccessedThenDirty() {
        PageTables pt = longMode();
        long va = 0x0000_7F12_3456_7000L;
        pt.map(va, 0x20_3000, SIZE_4K, ALL);
        assertPhys(0x20_3ABC, va + 0xABC, READ, true);
        assertEquals(SIZE_4K, r.pageSize());
        for (int level = 4; level >= 1; level--) {
            assertEquals(PTE_A, pt.entry(va, level) & (PTE_A | PTE_D), "level " + level + " after a read");
        }
        assertPhys(0x20_3000, va, WRITE, true);
        assertEquals(PTE_A | PTE_D, pt.entry(va, 1) & (PTE_A | PTE_D));
        assertEquals(0, pt.entry(va, 2) & PTE_D, "Dirty only in the leaf");
        assertTrue(r.readable() && r.writable() && r.executable() && r.userPage());
    }

    @Test
    void fourLevelLargePages() {
        PageTables pt = longMode();
        pt.map(0x4000_0000L, 0x1_8000_0000L, SIZE_1G, ALL);
        pt.map(0x0060_0000L, 0x0020_0000L, SIZE_2M, ALL);
        assertPhys(0x1_8123_4567L, 0x4123_4567L, READ, false);
        assertEquals(SIZE_1G, r.pageSize());
        assertPhys(0x0031_2345L, 0x0071_2345L, WRITE, false);
        assertEquals(SIZE_2M, r.pageSize());
        assertEquals(PTE_A | PTE_D, pt.entry(0x0060_0000L, 2) & (PTE_A | PTE_D));
        // The PAT bit (12) of a large page is not an address bit.
        pt.setEntry(0x0060_0000L, 2, pt.entry(0x0060_0000L, 2) | 1L << 12);
        assertPhys(0x0031_2345L, 0x0071_2345L, READ, false);
    }

    @Test
    void notPresentAtEachLevelGivesErrorCodeOfTheAccess() {
        PageTables pt = longMode();
        long va = 0x1234_5000L;
        pt.map(va, 0x5000, SIZE_4K, ALL);
        for (int level = 1; level <= 4; level++) {
            long saved = pt.entry(va, level);
            // A not-present entry's other bits, reserved ones included, are ignored.
            pt.setEntry(va, level, saved & ~PTE_P | 1L << 51);
            assertFault(0, va, READ, false);
            assertFault(PageFault.WRITE | USER, va + 8, WRITE, true);
            assertFault(FETCH, va, EXECUTE, false);
            pt.setEntry(va, level, saved);
        }
        assertPhys(0x5000, va, READ, false);
    }

    @Test
    void faultsSetNoAccessedBits() {
        PageTables pt = longMode();
        long va = 0x7000;
        pt.map(va, 0x7000, SIZE_4K, PTE_P); // supervisor, read-only
        assertFault(PRESENT | USER, va, READ, true);
        for (int level = 4; level >= 1; level--) {
            assertEquals(0, pt.entry(va, level) & PTE_A, "level " + level);
        }
    }

    @Test
    void userSupervisorAndWriteProtect() {
        PageTables pt = longMode(CR0_PE | CR0_PG, LONG_CR4, LONG_EFER); // WP=0
        long va = 0x40_0000L;
        pt.map(va, 0x9000, SIZE_4K, ALL);
        // Supervisor-only at the PDPT level makes the whole translation supervisor-only.
        pt.setEntry(va, 3, pt.entry(va, 3) & ~PTE_US);
        assertFault(PRESENT | USER, va, READ, true);
        assertPhys(0x9000, va, READ, false);
        assertFalse(r.userPage());
        pt.setEntry(va, 3, pt.entry(va, 3) | PTE_US);
        // Read-only at the PD level.
        pt.setEntry(va, 2, pt.entry(va, 2) & ~PTE_RW);
        assertFault(PRESENT | PageFault.WRITE | USER, va, WRITE, true);
        assertPhys(0x9000, va, WRITE, false); // CR0.WP=0: supervisor writes ignore R/W
        assertTrue(walker.setRegisters(LONG_CR0, pt.cr3, LONG_CR4, LONG_EFER, true));
        assertFault(PRESENT | PageFault.WRITE, va, WRITE, false);
        assertPhys(0x9000, va, READ, true);
        assertFalse(r.writable());
    }

    @Test
    void executeDisable() {
        PageTables pt = longMode();
        long va = 0x80_0000L;
        pt.map(va, 0xA000, SIZE_4K, ALL);
        pt.setEntry(va, 2, pt.entry(va, 2) | PTE_XD);
        assertFault(PRESENT | FETCH, va, EXECUTE, false);
        assertFault(PRESENT | FETCH | USER, va, EXECUTE, true);
        assertPhys(0xA000, va, READ, true);
        assertFalse(r.executable());
        // Without EFER.NXE bit 63 is reserved, and I/D is not reported (no SMEP either).
        assertTrue(walker.setRegisters(LONG_CR0, pt.cr3, LONG_CR4, EFER_LME | EFER_LMA, true));
        assertFault(RSVD | PRESENT, va, EXECUTE, false);
        assertFault(RSVD | PRESENT | USER, va, READ, true);
    }

    @Test
    void reservedBits() {
        PageTables pt = longMode();
        long va = 0xC0_0000L;
        pt.map(va, 0xB000, SIZE_4K, ALL);
        long pte = pt.entry(va, 1);
        pt.setEntry(va, 1, pte | 1L << 48); // MAXPHYADDR = 48: bit 48 is reserved
        assertFault(RSVD | PRESENT, va, READ, false);
        pt.setEntry(va, 1, pte | 1L << 52); // bits 62:52 are ignored in 4-level paging
        assertPhys(0xB000, va, READ, false);
        pt.setEntry(va, 1, pte);
        pt.setEntry(va, 4, pt.entry(va, 4) | PTE_PS); // PS is reserved in a PML4E
        assertFault(RSVD | PRESENT | PageFault.WRITE, va, WRITE, false);
        pt.setEntry(va, 4, pt.entry(va, 4) & ~PTE_PS);

        pt.map(0x4000_0000L, 0x4000_0000L, SIZE_1G, ALL);
        pt.setEntry(0x4000_0000L, 3, pt.entry(0x4000_0000L, 3) | 1L << 29); // 1 GiB page: bits 29:13 reserved
        assertFault(RSVD | PRESENT, 0x4000_0000L, READ, false);
        pt.map(0x20_0000L, 0x20_0000L, SIZE_2M, ALL);
        pt.setEntry(0x20_0000L, 2, pt.entry(0x20_0000L, 2) | 1L << 13); // 2 MiB page: bits 20:13 reserved
        assertFault(RSVD | PRESENT, 0x20_0000L, READ, false);
    }

    @Test
    void maxPhysAddrDecidesWhichAddressBitsAreReserved() {
        PageWalker narrow = new PageWalker(ram.memory, 36);
        PageWalker wide = new PageWalker(ram.memory, 52);
        PageTables pt = new PageTables(ram, 0x10000);
        long va = 0x1000;
        pt.map(va, 1L << 40 | 0x5000, SIZE_4K, ALL);
        assertTrue(narrow.setRegisters(LONG_CR0, pt.cr3, LONG_CR4, LONG_EFER, true));
        assertTrue(wide.setRegisters(LONG_CR0, pt.cr3, LONG_CR4, LONG_EFER, true));
        assertFalse(narrow.walk(va, READ, false, false, r));
        assertEquals(RSVD | PRESENT, r.errorCode());
        assertTrue(wide.walk(va, READ, false, false, r));
        assertEquals(1L << 40 | 0x5000, r.physicalAddress());
    }

    @Test
    void nonCanonicalIsNotAPageFault() {
        PageTables pt = longMode();
        pt.map(0xFFFF_8000_0000_0000L, 0x3000, SIZE_4K, ALL);
        assertPhys(0x3000, 0xFFFF_8000_0000_0000L, READ, false);
        assertFalse(walker.walk(0x0000_8000_0000_0000L, READ, false, false, r));
        assertEquals(WalkResult.Status.NON_CANONICAL, r.status());
        assertFalse(walker.walk(0xFFFF_7FFF_FFFF_F000L, WRITE, true, false, r));
        assertEquals(WalkResult.Status.NON_CANONICAL, r.status());
    }

    @Test
    void smepBlocksSupervisorFetchesFromUserPages() {
        PageTables pt = longMode(LONG_CR0, LONG_CR4 | CR4_SMEP, EFER_LME | EFER_LMA);
        pt.map(0x1000, 0x1000, SIZE_4K, ALL);
        pt.map(0x2000, 0x2000, SIZE_4K, PTE_P);
        assertFault(PRESENT | FETCH, 0x1000, EXECUTE, false); // I/D reported because of SMEP, NXE is off
        assertPhys(0x1000, 0x1000, EXECUTE, true);
        assertPhys(0x1000, 0x1000, READ, false); // SMEP is about fetches only
        assertPhys(0x2000, 0x2000, EXECUTE, false);
        assertFault(PRESENT | FETCH | USER, 0x2000, EXECUTE, true);
    }

    @Test
    void smapBlocksSupervisorDataAccessToUserPagesUnlessAc() {
        PageTables pt = longMode(LONG_CR0, LONG_CR4 | CR4_SMAP, LONG_EFER);
        pt.map(0x1000, 0x1000, SIZE_4K, ALL);
        pt.map(0x2000, 0x2000, SIZE_4K, PTE_P | PTE_US); // user, read-only
        assertFault(PRESENT, 0x1000, READ, false);
        assertFault(PRESENT | PageFault.WRITE, 0x1000, WRITE, false);
        assertTrue(walker.walk(0x1000, WRITE, false, true, r));
        assertTrue(r.smapDependent());
        assertPhys(0x1000, 0x1000, EXECUTE, false); // SMAP is about data only
        assertPhys(0x1000, 0x1000, READ, true);
        assertFalse(r.smapDependent());
        // EFLAGS.AC lifts SMAP but not CR0.WP.
        assertFalse(walker.walk(0x2000, WRITE, false, true, r));
        assertEquals(PRESENT | PageFault.WRITE, r.errorCode());
    }

    @Test
    void pageTableOutsideRamIsNotPresent() {
        PageTables pt = longMode();
        pt.map(0x5000, 0x5000, SIZE_4K, ALL);
        pt.setEntry(0x5000, 2, 0x7000_0000L | ALL); // the page table would be at 1.75 GiB: no RAM there
        assertFault(0, 0x5000, READ, false);
    }

    @Test
    void pageTablesInReadOnlySlotAreWalkedButNotUpdated() {
        MemorySegment rom = ram.allocate(0x4000);
        ram.memory.setUserMemoryRegion(1, GuestMemory.KVM_MEM_READONLY, 0x1000_0000L, 0x4000, rom);
        // PML4 at ROM+0, PDPT at ROM+0x1000, PD at ROM+0x2000, PT at ROM+0x3000, built with host writes.
        long base = 0x1000_0000L;
        ram.memory.writeLong(base, base + 0x1000 | ALL);
        ram.memory.writeLong(base + 0x1000, base + 0x2000 | ALL);
        ram.memory.writeLong(base + 0x2000, base + 0x3000 | ALL);
        ram.memory.writeLong(base + 0x3000, 0x6000 | ALL);
        assertTrue(walker.setRegisters(LONG_CR0, base, LONG_CR4, LONG_EFER, true));
        assertPhys(0x6010, 0x10, WRITE, false);
        assertEquals(0x6000 | ALL, ram.memory.readLong(base + 0x3000));
    }

    @Test
    void la57IsRefused() {
        assertThrows(UnsupportedOperationException.class,
                () -> walker.setRegisters(LONG_CR0, 0x1000, LONG_CR4 | CR4_LA57, LONG_EFER, true));
    }

    // ------------------------------------------------------------------ 32-bit paging

    @Test
    void thirtyTwoBit4KPages() {
        // PD at 0x1000, PT at 0x2000: va 0x0040_3123 -> PDE 1, PTE 3.
        ram.put32(0x1000 + 4, 0x2000 | (int) ALL);
        ram.put32(0x2000 + 12, 0x0030_5000 | (int) (PTE_P | PTE_US));
        assertTrue(walker.setRegisters(CR0_PE | CR0_PG | CR0_WP, 0x1000, 0, 0, true));
        assertEquals(PagingMode.BITS32, walker.mode());
        assertPhys(0x0030_5123, 0x0040_3123, READ, true);
        assertPhys(0x0030_5123, 0x7_0040_3123L, READ, true); // linear addresses are 32 bits
        assertEquals(PTE_A, ram.get32(0x1004) & PTE_A);
        assertEquals(PTE_A, ram.get32(0x200C) & (PTE_A | PTE_D));
        assertFault(PRESENT | PageFault.WRITE | USER, 0x0040_3123, WRITE, true);
        // No XD in 32-bit paging: fetches need only read access; I/D is reported only with SMEP.
        assertPhys(0x0030_5123, 0x0040_3123, EXECUTE, true);
        assertFault(0, 0x0080_0000, EXECUTE, false);
        assertTrue(walker.setRegisters(CR0_PE | CR0_PG | CR0_WP, 0x1000, CR4_SMEP, EFER_NXE, true));
        assertFault(FETCH, 0x0080_0000, EXECUTE, false);
    }

    @Test
    void thirtyTwoBit4MPagesWithPse40() {
        // PDE 3 maps 4 MiB at physical 0x12_0040_0000: bits 20:13 hold physical bits 39:32.
        int pde = 0x0040_0000 | 0x12 << 13 | (int) (ALL | PTE_PS);
        ram.put32(0x1000 + 12, pde);
        assertTrue(walker.setRegisters(CR0_PE | CR0_PG, 0x1000, CR4_PSE, 0, true));
        assertPhys(0x12_0045_6789L, 0x00C5_6789L, WRITE, false);
        assertEquals(1L << 22, r.pageSize());
        assertEquals(PTE_A | PTE_D, ram.get32(0x100C) & (PTE_A | PTE_D));
        ram.put32(0x100C, pde | 1 << 21); // bit 21 is reserved
        assertFault(RSVD | PRESENT, 0x00C5_6789L, READ, false);
        // With MAXPHYADDR 36 only bits 16:13 are address bits, 21:17 reserved.
        PageWalker narrow = new PageWalker(ram.memory, 36);
        ram.put32(0x100C, pde);
        assertTrue(narrow.setRegisters(CR0_PE | CR0_PG, 0x1000, CR4_PSE, 0, true));
        assertFalse(narrow.walk(0x00C5_6789L, READ, false, false, r));
        assertEquals(RSVD | PRESENT, r.errorCode());
    }

    @Test
    void thirtyTwoBitPsIgnoredWithoutCr4Pse() {
        ram.put32(0x1000, 0x3000 | (int) (ALL | PTE_PS));
        ram.put32(0x3000 + 4 * 5, 0x8000 | (int) ALL);
        assertTrue(walker.setRegisters(CR0_PE | CR0_PG, 0x1000, 0, 0, true));
        assertPhys(0x8042, 0x5042, READ, false);
        assertEquals(SIZE_4K, r.pageSize());
    }

    // ------------------------------------------------------------------ PAE

    private static final long PAE_CR0 = CR0_PE | CR0_PG | CR0_WP;

    /** PDPT at 0x1020 (32-byte aligned, not page aligned), PDPTE 1 -> PD 0x2000, PDE 0 -> PT 0x3000. */
    private void paeTables() {
        ram.put64(0x1020 + 8, 0x2000 | PTE_P);
        ram.put64(0x2000, 0x3000 | ALL);
        ram.put64(0x3000 + 8 * 7, 0x0009_9000L | ALL);
        ram.put64(0x2000 + 8 * 5, 0x0060_0000L | ALL | PTE_PS); // 2 MiB page at 0x4000_0000 + 5 * 2 MiB
    }

    @Test
    void paeWalks4KAnd2MPages() {
        paeTables();
        assertTrue(walker.setRegisters(PAE_CR0, 0x1020, CR4_PAE, EFER_NXE, true));
        assertEquals(PagingMode.PAE, walker.mode());
        assertPhys(0x0009_9321L, 0x4000_7321L, WRITE, true);
        assertEquals(PTE_A | PTE_D, ram.get64(0x3000 + 8 * 7) & (PTE_A | PTE_D));
        assertEquals(PTE_A, ram.get64(0x2000) & (PTE_A | PTE_D));
        assertEquals(0, ram.get64(0x1028) & PTE_A, "PDPTEs are registers: no Accessed bit");
        assertPhys(0x0061_2345L, 0x40A1_2345L, READ, false);
        assertEquals(SIZE_2M, r.pageSize());
        assertFault(0, 0x0000_1000L, READ, false); // PDPTE 0 not present
        assertFault(FETCH, 0xC000_0000L, EXECUTE, false); // PDPTE 3: I/D because NXE with PAE
    }

    @Test
    void paeReservedBitsDifferFromFourLevel() {
        paeTables();
        assertTrue(walker.setRegisters(PAE_CR0, 0x1020, CR4_PAE, EFER_NXE, true));
        ram.put64(0x3000 + 8 * 7, 0x0009_9000L | ALL | 1L << 52); // ignored in 4-level, reserved in PAE
        assertFault(RSVD | PRESENT, 0x4000_7000L, READ, false);
        ram.put64(0x3000 + 8 * 7, 0x0009_9000L | ALL | PTE_XD);
        assertFault(PRESENT | FETCH, 0x4000_7000L, EXECUTE, false);
        assertTrue(walker.setRegisters(PAE_CR0, 0x1020, CR4_PAE, 0, true));
        assertFault(RSVD | PRESENT, 0x4000_7000L, READ, false);
    }

    @Test
    void paePdptesAreLoadedOnceAndChecked() {
        paeTables();
        assertTrue(walker.setRegisters(PAE_CR0, 0x1020, CR4_PAE, 0, true));
        ram.put64(0x1028, 0); // the guest changes the PDPT without reloading CR3
        assertPhys(0x0009_9000L, 0x4000_7000L, READ, false);
        assertEquals(0x2000 | PTE_P, walker.pdpte(1));
        ram.put64(0x1028, 0x2000 | PTE_P | PTE_RW); // bit 1 is reserved in a PDPTE
        assertFalse(walker.setRegisters(PAE_CR0, 0x1020, CR4_PAE, 0, true));
        assertEquals(0x2000 | PTE_P, walker.pdpte(1), "a failed load changes nothing");
        assertEquals(0x1020, walker.cr3());
        ram.put64(0x1028, 0x2000 | PTE_RW); // not present: its other bits do not matter
        assertTrue(walker.setRegisters(PAE_CR0, 0x1020, CR4_PAE, 0, true));
        assertFalse(walker.setRegisters(PAE_CR0, 0x7000_0000L, CR4_PAE, 0, true), "PDPT outside RAM");
    }
}
