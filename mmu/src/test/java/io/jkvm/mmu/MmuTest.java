package io.jkvm.mmu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static io.jkvm.mmu.Access.EXECUTE;
import static io.jkvm.mmu.Access.READ;
import static io.jkvm.mmu.Access.WRITE;
import static io.jkvm.mmu.PageTables.SIZE_2M;
import static io.jkvm.mmu.PageTables.SIZE_4K;
import static io.jkvm.mmu.PageWalker.CR0_PE;
import static io.jkvm.mmu.PageWalker.CR0_PG;
import static io.jkvm.mmu.PageWalker.CR0_WP;
import static io.jkvm.mmu.PageWalker.CR4_PAE;
import static io.jkvm.mmu.PageWalker.CR4_SMAP;
import static io.jkvm.mmu.PageWalker.EFER_LMA;
import static io.jkvm.mmu.PageWalker.EFER_LME;
import static io.jkvm.mmu.PageWalker.EFER_NXE;
import static io.jkvm.mmu.PageWalker.PTE_P;
import static io.jkvm.mmu.PageWalker.PTE_RW;
import static io.jkvm.mmu.PageWalker.PTE_US;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The slow path generated code calls, and the TLB policy around it. */
class MmuTest {
    private static final long CR0 = CR0_PE | CR0_PG | CR0_WP;
    private static final long EFER = EFER_LME | EFER_LMA | EFER_NXE;
    private static final long ALL = PTE_P | PTE_RW | PTE_US;

    private final TestRam ram = new TestRam(0x40_0000, GuestMemory.KVM_MEM_LOG_DIRTY_PAGES);
    private final Mmu mmu = new Mmu(ram.memory);
    private final Tlb tlb = mmu.tlb();
    private final PageTables pt = new PageTables(ram, 0x10000);

    @AfterEach
    void close() {
        ram.close();
    }

    private void longMode() {
        assertTrue(mmu.setPagingRegisters(CR0, pt.cr3, CR4_PAE, EFER));
        assertEquals(PagingMode.LONG4, mmu.pagingMode());
    }

    private long host(long gpa) {
        return ram.ram.address() + gpa;
    }

    @Test
    void readMissFillsReadEntryOnly() {
        pt.map(0x40_0000_0000L, 0x20_5000, SIZE_4K, ALL);
        longMode();
        assertEquals(0x20_5123, mmu.translate(0x40_0000_0123L, READ, true));
        assertEquals(host(0x20_5FF0), tlb.lookupRead(0x40_0000_0FF0L, true));
        assertEquals(Tlb.MISS, tlb.lookupRead(0x40_0000_0FF0L, false));
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x40_0000_0FF0L, true));
        assertEquals(1, mmu.misses());
        assertFalse(ram.memory.slot(0).dirtyLog().isDirty(0x205), "reads do not dirty");
    }

    @Test
    void writeMissMarksDirtyThenFillsWriteAndRead() {
        pt.map(0x5000, 0x20_6000, SIZE_4K, ALL);
        longMode();
        DirtyLog log = ram.memory.slot(0).dirtyLog();
        mmu.translate(0x5008, WRITE, false);
        assertTrue(log.isDirty(0x206));
        assertEquals(host(0x20_6008), tlb.lookupWrite(0x5008, false));
        assertEquals(host(0x20_6008), tlb.lookupRead(0x5008, false));
    }

    @Test
    void fetchMissRecordsPhysicalPage() {
        pt.map(0x0060_0000L, 0x0020_0000L, SIZE_2M, ALL);
        longMode();
        assertEquals(0x0021_2345L, mmu.translate(0x0061_2345L, EXECUTE, false));
        assertEquals(host(0x0021_2345L), tlb.lookupFetch(0x0061_2345L, false));
        assertEquals(0x0021_2000L, tlb.fetchPhysPage[Tlb.index(0x0061_2345L)]);
        mmu.invlpg(0x0070_0000L); // another 4 KiB piece of the same 2 MiB page
        assertEquals(Tlb.MISS, tlb.lookupFetch(0x0061_2345L, false));
    }

    @Test
    void noWriteEntryForCodePagesUntilTheCodeIsGone() {
        pt.map(0x5000, 0x20_7000, SIZE_4K, ALL);
        longMode();
        CodeMap code = ram.memory.codeMap();
        code.markCode(0x20_7800, 32);
        mmu.translate(0x5010, WRITE, false);
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x5010, false), "stores to a code page must reach the slow path");
        assertEquals(host(0x20_7010), tlb.lookupRead(0x5010, false));
        assertFalse(code.overlapsCode(0x20_7010, 4), "and there a store next to the code is cheap to classify");
        code.clearPage(0x20_7000);
        mmu.translate(0x5010, WRITE, false);
        assertEquals(host(0x20_7010), tlb.lookupWrite(0x5010, false));
    }

    @Test
    void newCodeOnAPageDropsWriteEntriesAtTheNextSync() {
        pt.map(0x5000, 0x20_8000, SIZE_4K, ALL);
        longMode();
        mmu.translate(0x5000, WRITE, false);
        assertNotEquals(Tlb.MISS, tlb.lookupWrite(0x5000, false));
        ram.memory.codeMap().markCode(0x20_8100, 4); // another vcpu translated code there
        mmu.sync();
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x5000, false));
        assertNotEquals(Tlb.MISS, tlb.lookupRead(0x5000, false));
    }

    @Test
    void readOnlySlotAndMmioAreNeverCachedForWrites() {
        MemorySegment rom = ram.allocate(0x1000);
        ram.memory.setUserMemoryRegion(1, GuestMemory.KVM_MEM_READONLY, 0x100_0000L, 0x1000, rom);
        pt.map(0x5000, 0x100_0000L, SIZE_4K, ALL);
        pt.map(0x6000, 0xFEE0_0000L, SIZE_4K, ALL); // the local APIC page: no slot, MMIO
        longMode();
        assertEquals(0x100_0010L, mmu.translate(0x5010, WRITE, false));
        assertTrue(ram.memory.find(0x100_0010L).readOnly(), "the caller turns this into an MMIO write exit");
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x5010, false));
        mmu.translate(0x5010, READ, false);
        assertEquals(rom.address() + 0x10, tlb.lookupRead(0x5010, false));

        assertEquals(0xFEE0_00F0L, mmu.translate(0x60F0, READ, false));
        assertEquals(null, ram.memory.find(0xFEE0_00F0L));
        assertEquals(Tlb.MISS, tlb.lookupRead(0x60F0, false));
        assertEquals(Tlb.MISS, mmu.hostAddress(0x60F0, READ, false));
    }

    @Test
    void faultsAreThrownAsReusedInstances() {
        pt.map(0x5000, 0x20_9000, SIZE_4K, PTE_P | PTE_US);
        longMode();
        PageFault first = assertThrows(PageFault.class, () -> mmu.translate(0x5123, WRITE, true));
        assertEquals(0x5123, first.linearAddress());
        assertEquals(PageFault.PRESENT | PageFault.WRITE | PageFault.USER, first.errorCode());
        assertEquals(0, first.getStackTrace().length, "guest events carry no stack trace");
        PageFault second = assertThrows(PageFault.class, () -> mmu.translate(0x9_9000, READ, false));
        assertSame(first, second);
        assertEquals(0, second.errorCode());
        assertEquals(0x9_9000, second.linearAddress());
        NonCanonicalAddressFault nc = assertThrows(NonCanonicalAddressFault.class,
                () -> mmu.translate(0x8000_0000_0000L, READ, false));
        assertEquals(0x8000_0000_0000L, nc.linearAddress());
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x5123, true));
    }

    @Test
    void smapDependentTranslationsAreNotCached() {
        pt.map(0x5000, 0x20_A000, SIZE_4K, ALL);
        assertTrue(mmu.setPagingRegisters(CR0, pt.cr3, CR4_PAE | CR4_SMAP, EFER));
        assertThrows(PageFault.class, () -> mmu.translate(0x5000, READ, false));
        assertEquals(0x20_A000, mmu.translate(0x5000, READ, false, true));
        assertEquals(Tlb.MISS, tlb.lookupRead(0x5000, false), "EFLAGS.AC may be clear at the next access");
        mmu.translate(0x5000, READ, true);
        assertNotEquals(Tlb.MISS, tlb.lookupRead(0x5000, true));
    }

    @Test
    void controlRegisterWritesFlushWhenTheArchitectureSays() {
        pt.map(0x5000, 0x20_B000, SIZE_4K, ALL);
        longMode();
        mmu.translate(0x5000, READ, false);
        assertTrue(mmu.setCr4(mmu.cr4() | 1L << 9)); // CR4.OSFXSR: no effect on translation
        assertNotEquals(Tlb.MISS, tlb.lookupRead(0x5000, false));
        assertTrue(mmu.setCr4(mmu.cr4() | CR4_SMAP));
        assertEquals(Tlb.MISS, tlb.lookupRead(0x5000, false));

        mmu.translate(0x5000, READ, true);
        mmu.setEfer(mmu.efer() & ~EFER_NXE);
        assertEquals(Tlb.MISS, tlb.lookupRead(0x5000, true));

        mmu.translate(0x5000, READ, true);
        assertTrue(mmu.setCr0(mmu.cr0() & ~CR0_WP));
        assertEquals(Tlb.MISS, tlb.lookupRead(0x5000, true));

        mmu.translate(0x5000, READ, true);
        assertTrue(mmu.setCr3(pt.cr3));
        assertEquals(Tlb.MISS, tlb.lookupRead(0x5000, true), "MOV to CR3 flushes even with the same value");
    }

    @Test
    void settingCr0PgWithLmeEntersLongMode() {
        pt.map(0x5000, 0x20_C000, SIZE_4K, ALL);
        assertTrue(mmu.setPagingRegisters(CR0_PE, pt.cr3, CR4_PAE, EFER_LME));
        assertEquals(PagingMode.NONE, mmu.pagingMode());
        assertEquals(0x5000, mmu.translate(0x5000, READ, false));
        assertTrue(mmu.setCr0(CR0_PE | CR0_PG));
        assertEquals(PagingMode.LONG4, mmu.pagingMode());
        assertTrue((mmu.efer() & EFER_LMA) != 0);
        assertEquals(Tlb.MISS, tlb.lookupRead(0x5000, false));
        assertEquals(0x20_C000, mmu.translate(0x5000, READ, false));
        assertTrue(mmu.setCr0(CR0_PE));
        assertEquals(0, mmu.efer() & EFER_LMA);
    }

    @Test
    void failedPdpteLoadChangesNothing() {
        ram.put64(0x1000, 0x2000 | PTE_P | PTE_RW); // reserved bit 1 in a PDPTE
        assertTrue(mmu.setPagingRegisters(CR0_PE | CR0_PG, 0x3000, CR4_PAE, 0)); // PDPT at 0x3000: all not present
        assertFalse(mmu.setCr3(0x1000), "MOV to CR3 must raise #GP(0)");
        assertEquals(0x3000, mmu.cr3());
        assertEquals(PagingMode.PAE, mmu.pagingMode());
    }

    @Test
    void dirtyLogHarvestWriteProtectsAgain() {
        pt.map(0x5000, 0x20_D000, SIZE_4K, ALL);
        longMode();
        DirtyLog log = ram.memory.slot(0).dirtyLog();
        mmu.translate(0x5000, WRITE, false);
        MemorySegment bitmap = ram.allocate(log.bitmapBytes());
        ram.memory.getDirtyLog(0, bitmap);
        assertTrue((bitmap.get(TestRam.LE64, 8L * (0x20D / 64)) & 1L << (0x20D % 64)) != 0);
        assertFalse(log.isDirty(0x20D));
        mmu.sync(); // the runtime makes every vcpu reach this before the harvest returns
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x5000, false), "the next write must be logged");
        assertNotEquals(Tlb.MISS, tlb.lookupRead(0x5000, false));
        assertNotEquals(Tlb.MISS, mmu.hostAddress(0x5000, WRITE, false));
        assertTrue(log.isDirty(0x20D));
    }

    @Test
    void slotChangesFlushAtTheNextSync() {
        pt.map(0x5000, 0x30_0000, SIZE_4K, ALL);
        MemorySegment extra = ram.allocate(0x1000);
        ram.memory.setUserMemoryRegion(2, 0, 0x40_0000, 0x1000, extra);
        pt.map(0x6000, 0x40_0000, SIZE_4K, ALL);
        longMode();
        mmu.translate(0x5000, READ, false);
        mmu.translate(0x6000, READ, false);
        ram.memory.setUserMemoryRegion(2, 0, 0, 0, null);
        mmu.sync();
        assertEquals(Tlb.MISS, tlb.lookupRead(0x5000, false));
        assertEquals(Tlb.MISS, tlb.lookupRead(0x6000, false));
        assertEquals(0x40_0000, mmu.translate(0x6000, READ, false), "now MMIO: returned, not cached");
        assertEquals(Tlb.MISS, tlb.lookupRead(0x6000, false));
    }
}
