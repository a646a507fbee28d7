package io.jkvm.mmu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class TlbTest {
    private static final long HOST = 0x7F00_0000_0000L;
    private final Tlb tlb = new Tlb();

    @Test
    void layoutIsTheContractGeneratedCodeRelies() {
        assertEquals(4096, Tlb.SIZE);
        assertEquals(2 * Tlb.SIZE, tlb.read.length);
        assertEquals(2 * Tlb.SIZE, tlb.write.length);
        assertEquals(2 * Tlb.SIZE, tlb.fetch.length);
        assertEquals(Tlb.SIZE, tlb.fetchPhysPage.length);
        long vaddr = 0x0000_7FAB_CDE1_2345L;
        tlb.fillRead(vaddr, true, HOST + 0x5000, 0x9000);
        int i = (int) (vaddr >>> 12) & (Tlb.SIZE - 1);
        assertEquals((vaddr & ~0xFFFL) | 1, tlb.read[2 * i]);
        assertEquals(HOST + 0x5345, vaddr + tlb.read[2 * i + 1], "host address = vaddr + addend");
    }

    @Test
    void emptyEntriesNeverMatch() {
        Random r = new Random(1);
        for (int n = 0; n < 100_000; n++) {
            long v = r.nextLong();
            assertEquals(Tlb.MISS, tlb.lookupRead(v, r.nextBoolean()));
            assertNotEquals(Tlb.EMPTY, Tlb.tag(v, r.nextBoolean()));
        }
        assertEquals(Tlb.MISS, tlb.lookupFetch(-4096, true));
        assertEquals(Tlb.MISS, tlb.lookupWrite(0, false));
    }

    @Test
    void entriesAreSeparatedByKindAndPrivilege() {
        tlb.fillRead(0x1000, false, HOST, 0x1000);
        assertEquals(HOST + 0x10, tlb.lookupRead(0x1010, false));
        assertEquals(Tlb.MISS, tlb.lookupRead(0x1010, true), "a supervisor entry does not serve CPL 3");
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x1010, false));
        assertEquals(Tlb.MISS, tlb.lookupFetch(0x1010, false));
        tlb.fillFetch(0x2000, true, HOST + 0x3000, 0x0012_3000);
        assertEquals(HOST + 0x3FFF, tlb.lookupFetch(0x2FFF, true));
        assertEquals(0x0012_3000, tlb.fetchPhysPage[Tlb.index(0x2000)]);
        assertEquals(2, tlb.fills());
    }

    @Test
    void directMappedConflictsEvict() {
        long a = 0x40_0000;
        long b = a + ((long) Tlb.SIZE << 12);
        tlb.fillRead(a, false, HOST, 0);
        tlb.fillRead(b, false, HOST + 0x1000, 0);
        assertEquals(Tlb.MISS, tlb.lookupRead(a, false));
        assertEquals(HOST + 0x1000, tlb.lookupRead(b, false));
    }

    @Test
    void flushesDropWhatTheySay() {
        tlb.fillRead(0x1000, false, HOST, 0);
        tlb.fillWrite(0x1000, false, HOST, 0);
        tlb.fillFetch(0x1000, false, HOST, 0);
        tlb.flushWrites();
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x1000, false));
        assertEquals(HOST, tlb.lookupRead(0x1000, false));
        tlb.fillWrite(0x1000, true, HOST, 0);
        tlb.fillRead(0x5000, false, HOST, 0);
        tlb.flushPage(0x1FFF);
        assertEquals(Tlb.MISS, tlb.lookupRead(0x1000, false));
        assertEquals(Tlb.MISS, tlb.lookupWrite(0x1000, true));
        assertEquals(Tlb.MISS, tlb.lookupFetch(0x1000, false));
        assertEquals(HOST, tlb.lookupRead(0x5000, false));
        tlb.flush();
        assertEquals(Tlb.MISS, tlb.lookupRead(0x5000, false));
        assertEquals(1, tlb.pageFlushes());
        assertEquals(1, tlb.writeFlushes());
    }

    @Test
    void invlpgDropsEveryPieceOfALargePage() {
        long base = 0x4000_0000L; // a 2 MiB page
        for (long off = 0; off < 1 << 21; off += 4096) {
            tlb.fillRead(base + off, false, HOST + off, base + off, 1L << 21);
        }
        tlb.fillRead(0x1000, false, HOST, 0x1000); // outside the large page: survives
        tlb.flushPage(base + 0x1234_5);
        for (long off = 0; off < 1 << 21; off += 4096) {
            assertEquals(Tlb.MISS, tlb.lookupRead(base + off, false), "piece at +0x" + Long.toHexString(off));
        }
        assertEquals(HOST, tlb.lookupRead(0x1000, false));

        // A 1 GiB page covers more pieces than the TLB has entries.
        long giant = 0x80_0000_0000L;
        for (long off = 0; off < 1 << 30; off += 1 << 18) {
            tlb.fillFetch(giant + off, true, HOST + off, off, 1L << 30);
        }
        tlb.flushPage(giant + (1L << 29));
        for (long off = 0; off < 1 << 30; off += 1 << 18) {
            assertEquals(Tlb.MISS, tlb.lookupFetch(giant + off, true));
        }
        assertEquals(HOST, tlb.lookupRead(0x1000, false));
    }

    @Test
    void tooManyLargePagesMakeInvlpgFlushEverything() {
        for (int n = 0; n < 17; n++) {
            tlb.fillRead((long) n << 21, false, HOST, 0, 1L << 21);
        }
        tlb.fillRead(0x7000_0000L, false, HOST, 0);
        long flushes = tlb.flushes();
        tlb.flushPage(0x7000_0000L + (1L << 40)); // unrelated page: still a full flush, since we lost track
        assertEquals(flushes + 1, tlb.flushes());
        assertEquals(Tlb.MISS, tlb.lookupRead(0x7000_0000L, false));
        assertEquals(Tlb.MISS, tlb.lookupRead(16L << 21, false));
    }

    @Test
    void invlpgForgetsTheLargePageItDropped() {
        // One 4 KiB piece of each of 16 large pages, at distinct TLB indexes (n * 516 mod 4096).
        for (int n = 0; n < 16; n++) {
            tlb.fillRead(piece(n), false, HOST, 0, 1L << 21);
        }
        tlb.flushPage(5L << 21); // drops large page 5 and makes room for another
        assertEquals(Tlb.MISS, tlb.lookupRead(piece(5), false));
        tlb.fillRead(piece(100), false, HOST, 0, 1L << 21);
        tlb.fillRead(0x7000_3000L, false, HOST, 0);
        long flushes = tlb.flushes();
        tlb.flushPage(0x7000_3000L);
        assertEquals(flushes, tlb.flushes(), "16 tracked large pages: INVLPG stays precise");
        assertEquals(HOST + (piece(7) & 0xFFF), tlb.lookupRead(piece(7), false));
        tlb.flushPage(100L << 21);
        assertEquals(Tlb.MISS, tlb.lookupRead(piece(100), false));
        assertEquals(HOST + (piece(7) & 0xFFF), tlb.lookupRead(piece(7), false));
    }

    private static long piece(int n) {
        return (long) n << 21 | (long) n << 14;
    }
}
