package io.jkvm.mmu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Compares {@link PageWalker} with a reference walker written here independently, straight from the tables of the
 * Intel SDM (vol. 3A, 4.3 to 4.7): recursive, bit by bit, over a plain copy of guest memory. Both walk the same
 * randomly generated page tables (random flags, reserved bits, aliasing tables, tables outside RAM) under random
 * CR0.WP, CR4.SMEP/SMAP/PSE, EFER.NXE, EFLAGS.AC, privilege and access kind; they must agree on the outcome, the
 * physical address, the page size, the error code, the effective permissions, and on every Accessed/Dirty bit
 * written to memory.
 */
class PageWalkOracleTest {
    private static final int RAM_PAGES = 64;
    /** Entries point up to this page: the last few are outside RAM. */
    private static final int POINTED_PAGES = 72;

    private final TestRam ram = new TestRam((long) RAM_PAGES * 4096);
    /** The reference's own copy of guest memory, as 8-byte words. */
    private final long[] copy = new long[RAM_PAGES * 512];
    private final WalkResult result = new WalkResult();
    /** How many walks ended each way, so that a test can prove it covered every kind of outcome. */
    private final java.util.Map<String, Integer> outcomes = new java.util.TreeMap<>();

    @AfterEach
    void close() {
        ram.close();
    }

    // ------------------------------------------------------------------ shared memory plumbing

    private void store64(long addr, long value) {
        ram.put64(addr, value);
        copy[(int) (addr >>> 3)] = value;
    }

    private void store32(long addr, int value) {
        long word = copy[(int) (addr >>> 3)];
        int shift = (int) (addr & 4) * 8;
        store64(addr & ~7L, word & ~(0xFFFF_FFFFL << shift) | Integer.toUnsignedLong(value) << shift);
    }

    /** Reads from the reference's copy; {@code -1} marks "no RAM there" (an entry of all ones never occurs in RAM here). */
    private boolean inRam(long addr) {
        return addr >= 0 && addr < (long) RAM_PAGES * 4096;
    }

    private long ref64(long addr) {
        return copy[(int) (addr >>> 3)];
    }

    private long ref32(long addr) {
        return (ref64(addr & ~7L) >>> ((addr & 4) * 8)) & 0xFFFF_FFFFL;
    }

    private void refOr64(long addr, long bits) {
        copy[(int) (addr >>> 3)] |= bits;
    }

    private void refOr32(long addr, long bits) {
        copy[(int) (addr >>> 3)] |= bits << ((addr & 4) * 8);
    }

    private void assertMemoryEqualsCopy(String what) {
        for (int i = 0; i < copy.length; i++) {
            if (ram.get64(i * 8L) != copy[i]) {
                fail(what + ": guest memory at 0x" + Long.toHexString(i * 8L) + " is 0x" + Long.toHexString(ram.get64(i * 8L))
                        + ", reference says 0x" + Long.toHexString(copy[i]));
            }
        }
    }

    private static boolean bit(long value, int n) {
        return (value >>> n & 1) != 0;
    }

    private static boolean anyBit(long value, int from, int to) {
        for (int b = from; b <= to; b++) {
            if (bit(value, b)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ random page tables

    /** A random 8-byte paging-structure entry: mostly present, pointing somewhere plausible, with random trouble. */
    private static long randomEntry(Random r, int maxPhys) {
        if (r.nextInt(100) < 12) {
            return r.nextLong() & ~1L; // not present, junk elsewhere
        }
        long e = (long) r.nextInt(POINTED_PAGES) << 12 | 1;
        if (r.nextInt(100) < 85) e |= 1L << 1; // R/W
        if (r.nextInt(100) < 80) e |= 1L << 2; // U/S
        if (r.nextInt(100) < 30) e |= 1L << 5; // A
        if (r.nextInt(100) < 30) e |= 1L << 6; // D
        if (r.nextInt(100) < 20) {
            e |= 1L << 7; // PS: a large page wherever a level allows one; its frame is usually aligned
            int kind = r.nextInt(100);
            if (kind < 60) {
                e = e & ~0x3FFF_F000L | (long) r.nextInt(8) << 30; // 1 GiB aligned: fine at levels 3 and 2
            } else if (kind < 85) {
                e = e & ~0x3FFF_F000L | (long) r.nextInt(512) << 21; // 2 MiB aligned
            }
            if (r.nextBoolean()) e |= 1L << 12; // PAT, not an address bit in a large page
        }
        if (r.nextInt(100) < 15) e |= 1L << 63; // XD
        e |= (long) r.nextInt(8) << 9; // ignored bits 11:9
        e |= (long) (r.nextInt(4) & r.nextInt(4)) << 3; // PWT/PCD, sometimes
        if (r.nextInt(100) < 5) e |= 1L << (maxPhys + r.nextInt(52 - maxPhys)); // above MAXPHYADDR
        if (r.nextInt(100) < 5) e |= 1L << (52 + r.nextInt(11)); // 62:52
        if (r.nextInt(100) < 8) e |= 1L << (12 + r.nextInt(18)); // low bits of a large page's address, or PAT
        return e;
    }

    private static int randomEntry32(Random r) {
        if (r.nextInt(100) < 12) {
            return r.nextInt() & ~1;
        }
        int e = r.nextInt(POINTED_PAGES) << 12 | 1;
        if (r.nextInt(100) < 85) e |= 1 << 1;
        if (r.nextInt(100) < 80) e |= 1 << 2;
        if (r.nextInt(100) < 30) e |= 1 << 5;
        if (r.nextInt(100) < 30) e |= 1 << 6;
        if (r.nextInt(100) < 30) e |= 1 << 7;
        if (r.nextInt(100) < 30) e |= r.nextInt(1 << 9) << 13; // a 4 MiB page's bits 21:13 (high address, reserved)
        if (r.nextInt(100) < 20) e |= r.nextInt(1 << 10) << 22; // a 4 MiB page's bits 31:22
        return e;
    }

    private static Access randomAccess(Random r) {
        return Access.values()[r.nextInt(3)];
    }

    // ------------------------------------------------------------------ the reference (SDM 4.5, 4.6, 4.7, 4.8)

    /** What the reference expects from one walk. */
    private static final class Expected {
        boolean ok;
        boolean nonCanonical;
        long phys;
        long size;
        int error;
        boolean readable;
        boolean writable;
        boolean executable;
        /** Entries used by the walk, top level first, and whether each is 4 bytes wide. */
        final List<Long> used = new ArrayList<>();
    }

    /** The paging-control state both walkers see. */
    private record Controls(boolean wp, boolean pse, boolean smep, boolean smap, boolean nxe, int maxPhys) {
        static Controls random(Random r, int maxPhys) {
            return new Controls(r.nextBoolean(), r.nextBoolean(), r.nextInt(3) == 0, r.nextInt(3) == 0, r.nextInt(4) != 0, maxPhys);
        }

        long cr0() {
            return PageWalker.CR0_PE | PageWalker.CR0_PG | (wp ? PageWalker.CR0_WP : 0);
        }

        long cr4(boolean pae) {
            return (pae ? PageWalker.CR4_PAE : 0) | (pse ? PageWalker.CR4_PSE : 0) | (smep ? PageWalker.CR4_SMEP : 0)
                    | (smap ? PageWalker.CR4_SMAP : 0);
        }

        long efer(boolean longMode) {
            return (longMode ? PageWalker.EFER_LME | PageWalker.EFER_LMA : 0) | (nxe ? PageWalker.EFER_NXE : 0);
        }
    }

    /** SDM 4.6: the access rights, once the walk has combined R/W, U/S and XD over its entries. */
    private static void rights(Expected x, Controls c, boolean xdApplies, boolean allRw, boolean allUs, boolean anyXd,
                               boolean user, boolean ac) {
        boolean noExec = xdApplies && c.nxe && anyXd;
        if (user) {
            x.readable = allUs;
            x.writable = allUs && allRw;
            x.executable = allUs && !noExec;
        } else {
            boolean smapDenies = allUs && c.smap && !ac;
            x.readable = !smapDenies;
            x.writable = !smapDenies && (!c.wp || allRw);
            x.executable = !noExec && !(allUs && c.smep);
        }
    }

    /** SDM 4.7: the error code. */
    private static int errorCode(boolean present, boolean rsvd, Access access, boolean user, Controls c, boolean paeOrLong) {
        int e = 0;
        if (present) e |= 1;
        if (access == Access.WRITE) e |= 2;
        if (user) e |= 4;
        if (rsvd) e |= 8;
        if (access == Access.EXECUTE && (c.smep || (paeOrLong && c.nxe))) e |= 16;
        return e;
    }

    private static boolean allowed(Expected x, Access access) {
        return switch (access) {
            case READ -> x.readable;
            case WRITE -> x.writable;
            case EXECUTE -> x.executable;
        };
    }

    /** Reserved bits of a PAE or 4-level entry at {@code level} (4 = PML4E), SDM tables 4-8 to 4-11 and 4-14 to 4-19. */
    private static boolean reserved(long e, int level, boolean large, boolean pae, Controls c) {
        if (anyBit(e, c.maxPhys, pae ? 62 : 51)) return true;
        if (!c.nxe && bit(e, 63)) return true;
        if (level == 4 && bit(e, 7)) return true;
        if (level == 3 && large && anyBit(e, 13, 29)) return true;
        return level == 2 && large && anyBit(e, 13, 20);
    }

    /** One level of a PAE or 4-level walk, then the next level by recursion. */
    private void walk64(Expected x, int level, long table, long la, boolean allRw, boolean allUs, boolean anyXd,
                        Access access, boolean user, boolean ac, Controls c, boolean pae) {
        int low = 12 + 9 * (level - 1);
        long addr = table + ((la >>> low) & 0x1FF) * 8;
        if (!inRam(addr)) {
            x.error = errorCode(false, false, access, user, c, true);
            return;
        }
        long e = ref64(addr);
        if (!bit(e, 0)) {
            x.error = errorCode(false, false, access, user, c, true);
            return;
        }
        boolean large = (level == 2 || level == 3) && bit(e, 7);
        if (reserved(e, level, large, pae, c)) {
            x.error = errorCode(true, true, access, user, c, true);
            return;
        }
        x.used.add(addr);
        allRw &= bit(e, 1);
        allUs &= bit(e, 2);
        anyXd |= bit(e, 63);
        long frame = e & ((1L << c.maxPhys) - 1) & ~0xFFFL;
        if (level == 1 || large) {
            x.size = 1L << low;
            x.phys = (frame >>> low << low) | (la & (x.size - 1));
            rights(x, c, true, allRw, allUs, anyXd, user, ac);
            x.ok = allowed(x, access);
            if (!x.ok) {
                x.error = errorCode(true, false, access, user, c, true);
            }
            return;
        }
        walk64(x, level - 1, frame, la, allRw, allUs, anyXd, access, user, ac, c, pae);
    }

    private Expected reference4Level(long cr3, long la, Access access, boolean user, boolean ac, Controls c) {
        Expected x = new Expected();
        long top17 = la >> 47;
        if (top17 != 0 && top17 != -1) {
            x.nonCanonical = true;
            return x;
        }
        walk64(x, 4, cr3 & ((1L << c.maxPhys) - 1) & ~0xFFFL, la, true, true, false, access, user, ac, c, false);
        return x;
    }

    private Expected referencePae(long[] pdptes, long la, Access access, boolean user, boolean ac, Controls c) {
        Expected x = new Expected();
        long pdpte = pdptes[(int) (la >>> 30)];
        if (!bit(pdpte, 0)) {
            x.error = errorCode(false, false, access, user, c, true);
            return x;
        }
        walk64(x, 2, pdpte & ((1L << c.maxPhys) - 1) & ~0xFFFL, la, true, true, false, access, user, ac, c, true);
        return x;
    }

    /** SDM 4.3: 32-bit paging, with PSE-40 4 MiB pages. */
    private Expected reference32(long cr3, long la, Access access, boolean user, boolean ac, Controls c) {
        Expected x = new Expected();
        long pdeAddr = (cr3 & 0xFFFF_F000L) | (la >>> 22) << 2;
        long pde = inRam(pdeAddr) ? ref32(pdeAddr) : 0;
        if (!bit(pde, 0)) {
            x.error = errorCode(false, false, access, user, c, false);
            return x;
        }
        if (c.pse && bit(pde, 7)) {
            int m = Math.min(c.maxPhys, 40);
            if (anyBit(pde, m - 19, 21)) {
                x.error = errorCode(true, true, access, user, c, false);
                return x;
            }
            x.used.add(pdeAddr);
            x.size = 1L << 22;
            long high = (pde >>> 13) & ((1L << (m - 32)) - 1);
            x.phys = high << 32 | (pde & 0xFFC0_0000L) | (la & 0x3F_FFFF);
            rights(x, c, false, bit(pde, 1), bit(pde, 2), false, user, ac);
        } else {
            long pteAddr = (pde & 0xFFFF_F000L) | ((la >>> 12) & 0x3FF) << 2;
            long pte = inRam(pteAddr) ? ref32(pteAddr) : 0;
            if (!bit(pte, 0)) {
                x.error = errorCode(false, false, access, user, c, false);
                return x;
            }
            x.used.add(pdeAddr);
            x.used.add(pteAddr);
            x.size = 4096;
            x.phys = (pte & 0xFFFF_F000L) | (la & 0xFFF);
            rights(x, c, false, bit(pde, 1) && bit(pte, 1), bit(pde, 2) && bit(pte, 2), false, user, ac);
        }
        x.ok = allowed(x, access);
        if (!x.ok) {
            x.error = errorCode(true, false, access, user, c, false);
        }
        return x;
    }

    /** SDM 4.8: Accessed in every entry used, Dirty in the leaf for a write; applied to the reference's copy. */
    private void applyAccessedDirty(Expected x, Access access, boolean wide) {
        if (!x.ok) {
            return;
        }
        for (int i = 0; i < x.used.size(); i++) {
            long bits = 1L << 5 | (i == x.used.size() - 1 && access == Access.WRITE ? 1L << 6 : 0);
            if (wide) {
                refOr64(x.used.get(i), bits);
            } else {
                refOr32(x.used.get(i), bits);
            }
        }
    }

    private void compare(Expected x, long la, String context) {
        outcomes.merge(x.nonCanonical ? "non-canonical" : x.ok ? "ok " + x.size
                : (x.error & 8) != 0 ? "reserved" : (x.error & 1) != 0 ? "protection" : "not-present", 1, Integer::sum);
        String where = context + " la=0x" + Long.toHexString(la);
        if (x.nonCanonical) {
            assertEquals(WalkResult.Status.NON_CANONICAL, result.status(), where);
            return;
        }
        if (!x.ok) {
            assertEquals(WalkResult.Status.PAGE_FAULT, result.status(), where);
            assertEquals(x.error, result.errorCode(), () -> where + " expected " + PageFault.describe(x.error)
                    + ", got " + PageFault.describe(result.errorCode()));
            return;
        }
        assertEquals(WalkResult.Status.OK, result.status(), () -> where + " got " + PageFault.describe(result.errorCode()));
        assertEquals(x.phys, result.physicalAddress(), where);
        assertEquals(x.size, result.pageSize(), where);
        assertEquals(x.readable, result.readable(), where + " readable");
        assertEquals(x.writable, result.writable(), where + " writable");
        assertEquals(x.executable, result.executable(), where + " executable");
    }

    // ------------------------------------------------------------------ the comparisons

    private void assertCovered(String outcome, int atLeast) {
        int n = outcomes.getOrDefault(outcome, 0);
        assertEquals(true, n >= atLeast, "only " + n + " walks ended '" + outcome + "': " + outcomes);
    }

    @Test
    void fourLevelWalksAgreeWithTheReference() {
        Random r = new Random(0x5EED_0004L);
        int[] maxPhysChoices = {36, 39, 46, 48, 52};
        int maxPhys = 48;
        PageWalker walker = new PageWalker(ram.memory, maxPhys);
        for (int i = 0; i < copy.length; i++) {
            store64(i * 8L, randomEntry(r, maxPhys));
        }
        int walks = 0;
        for (int config = 0; config < 3000; config++) {
            if (config % 500 == 0) {
                maxPhys = maxPhysChoices[r.nextInt(maxPhysChoices.length)];
                walker = new PageWalker(ram.memory, maxPhys);
            }
            for (int k = 0; k < 48; k++) {
                store64((long) r.nextInt(copy.length) * 8, randomEntry(r, maxPhys));
            }
            Controls c = Controls.random(r, maxPhys);
            long cr3 = (long) r.nextInt(RAM_PAGES) << 12 | (r.nextInt(8) == 0 ? 0x18 : 0); // PWT/PCD bits are not address
            walker.setRegisters(c.cr0(), cr3, c.cr4(true), c.efer(true), true);
            for (int w = 0; w < 12; w++) {
                long la = r.nextInt(10) == 0 ? r.nextLong() : r.nextLong() << 16 >> 16;
                Access access = randomAccess(r);
                boolean user = r.nextBoolean();
                boolean ac = r.nextBoolean();
                Expected x = reference4Level(cr3, la, access, user, ac, c);
                walker.walk(la, access, user, ac, result);
                compare(x, la, "config " + config + " " + c + " " + access + (user ? " user" : " supervisor") + (ac ? " AC" : ""));
                applyAccessedDirty(x, access, true);
                for (long addr : x.used) {
                    assertEquals(ref64(addr), ram.get64(addr), "A/D bits of the entry at 0x" + Long.toHexString(addr));
                }
                walks++;
            }
            if (config % 100 == 0) {
                assertMemoryEqualsCopy("config " + config);
            }
        }
        assertMemoryEqualsCopy("end");
        assertEquals(36_000, walks);
        for (String outcome : new String[] {"ok 4096", "ok 2097152", "ok 1073741824", "reserved", "protection", "not-present"}) {
            assertCovered(outcome, 500);
        }
        assertCovered("non-canonical", 1000);
    }

    @Test
    void paeWalksAgreeWithTheReference() {
        Random r = new Random(0x5EED_0003L);
        int maxPhys = 40;
        PageWalker walker = new PageWalker(ram.memory, maxPhys);
        for (int i = 0; i < copy.length; i++) {
            store64(i * 8L, randomEntry(r, maxPhys));
        }
        int loaded = 0;
        int refused = 0;
        for (int config = 0; config < 2000; config++) {
            for (int k = 0; k < 48; k++) {
                store64((long) r.nextInt(copy.length) * 8, randomEntry(r, maxPhys));
            }
            Controls c = Controls.random(r, maxPhys);
            long cr3 = (long) r.nextInt(RAM_PAGES) << 12 | (long) r.nextInt(128) << 5;
            // PDPTEs: mostly clean ones (P and an address), sometimes with reserved bits.
            for (int i = 0; i < 4; i++) {
                long e = r.nextInt(6) == 0 ? 0 : (long) r.nextInt(POINTED_PAGES) << 12 | 1;
                if (r.nextInt(12) == 0) e |= 1L << new int[] {1, 2, 5, 6, 7, 8, 63, maxPhys}[r.nextInt(8)];
                e |= (long) r.nextInt(8) << 9 | (long) r.nextInt(4) << 3; // ignored bits and PWT/PCD are fine
                store64(cr3 + 8L * i, e);
            }
            long[] pdptes = new long[4];
            boolean valid = true;
            for (int i = 0; i < 4; i++) {
                pdptes[i] = ref64(cr3 + 8L * i);
                // SDM table 4-8: bits 2:1, 8:5 and 63:MAXPHYADDR of a present PDPTE are reserved.
                if (bit(pdptes[i], 0) && (anyBit(pdptes[i], 1, 2) || anyBit(pdptes[i], 5, 8) || anyBit(pdptes[i], maxPhys, 63))) {
                    valid = false;
                }
            }
            boolean accepted = walker.setRegisters(c.cr0(), cr3, c.cr4(true), c.efer(false), true);
            assertEquals(valid, accepted, "PDPTE load for " + Long.toHexString(pdptes[0]) + " " + Long.toHexString(pdptes[1])
                    + " " + Long.toHexString(pdptes[2]) + " " + Long.toHexString(pdptes[3]));
            if (!accepted) {
                refused++;
                continue;
            }
            loaded++;
            for (int w = 0; w < 12; w++) {
                long la = r.nextLong() & 0xFFFF_FFFFL;
                Access access = randomAccess(r);
                boolean user = r.nextBoolean();
                boolean ac = r.nextBoolean();
                Expected x = referencePae(pdptes, la, access, user, ac, c);
                walker.walk(la, access, user, ac, result);
                compare(x, la, "PAE config " + config + " " + c + " " + access + (user ? " user" : " supervisor"));
                applyAccessedDirty(x, access, true);
            }
            if (config % 100 == 0) {
                assertMemoryEqualsCopy("PAE config " + config);
            }
        }
        assertMemoryEqualsCopy("PAE end");
        for (String outcome : new String[] {"ok 4096", "ok 2097152", "reserved", "protection", "not-present"}) {
            assertCovered(outcome, 300);
        }
        assertEquals(2000, loaded + refused);
        assertEquals(true, refused > 50 && loaded > 1000, loaded + " loaded, " + refused + " refused");
    }

    @Test
    void thirtyTwoBitWalksAgreeWithTheReference() {
        Random r = new Random(0x5EED_0002L);
        int[] maxPhysChoices = {36, 40, 48};
        for (int i = 0; i < copy.length * 2; i++) {
            store32(i * 4L, randomEntry32(r));
        }
        int maxPhys = 36;
        PageWalker walker = new PageWalker(ram.memory, maxPhys);
        for (int config = 0; config < 3000; config++) {
            if (config % 1000 == 0) {
                maxPhys = maxPhysChoices[config / 1000];
                walker = new PageWalker(ram.memory, maxPhys);
            }
            for (int k = 0; k < 64; k++) {
                store32((long) r.nextInt(copy.length * 2) * 4, randomEntry32(r));
            }
            Controls c = Controls.random(r, maxPhys);
            long cr3 = (long) r.nextInt(RAM_PAGES) << 12;
            walker.setRegisters(c.cr0(), cr3, c.cr4(false), c.efer(false), true);
            for (int w = 0; w < 12; w++) {
                long la = r.nextLong() & 0xFFFF_FFFFL;
                Access access = randomAccess(r);
                boolean user = r.nextBoolean();
                boolean ac = r.nextBoolean();
                Expected x = reference32(cr3, la, access, user, ac, c);
                walker.walk(la, access, user, ac, result);
                compare(x, la, "32-bit config " + config + " " + c + " " + access + (user ? " user" : " supervisor"));
                applyAccessedDirty(x, access, false);
            }
            if (config % 100 == 0) {
                assertMemoryEqualsCopy("32-bit config " + config);
            }
        }
        assertMemoryEqualsCopy("32-bit end");
        for (String outcome : new String[] {"ok 4096", "ok 4194304", "reserved", "protection", "not-present"}) {
            assertCovered(outcome, 300);
        }
    }
}
