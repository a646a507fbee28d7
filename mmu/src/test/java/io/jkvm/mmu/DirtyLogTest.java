package io.jkvm.mmu;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jkvm.mmu.GuestMemory.KVM_DIRTY_LOG_INITIALLY_SET;
import static io.jkvm.mmu.GuestMemory.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
import static io.jkvm.mmu.GuestMemory.KVM_MEM_LOG_DIRTY_PAGES;
import static io.jkvm.mmu.TestRam.LE64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KVM_GET_DIRTY_LOG / KVM_CLEAR_DIRTY_LOG / KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 semantics. */
class DirtyLogTest {
    private final Arena arena = Arena.ofShared();
    private final GuestMemory memory = new GuestMemory(8);

    @AfterEach
    void close() {
        arena.close();
    }

    /** Slot 1 at 1 MiB with {@code pages} pages and dirty logging. */
    private MemorySlot loggingSlot(long pages) {
        memory.setUserMemoryRegion(1, KVM_MEM_LOG_DIRTY_PAGES, 0x100000, pages * 4096, arena.allocate(pages * 4096, 4096));
        return memory.slot(1);
    }

    private MemorySegment bitmap(long bytes) {
        return arena.allocate(bytes, 8);
    }

    private static void assertErrno(String op, Errno errno, Executable call) {
        KvmException e = assertThrows(KvmException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(op, e.operation());
    }

    @Test
    void getDirtyLogCopiesKvmLayoutAndClears() {
        MemorySlot slot = loggingSlot(130); // 3 words, the last one partial
        assertEquals(24, slot.dirtyLog().bitmapBytes());
        for (long page : new long[] {0, 5, 63, 64, 129}) {
            memory.markDirty(0x100000 + page * 4096 + 17);
        }
        long wp = memory.writeProtectGeneration();
        MemorySegment bm = bitmap(24);
        memory.getDirtyLog(1, bm);
        assertEquals(1L | 1L << 5 | 1L << 63, bm.get(LE64, 0));
        assertEquals(1L, bm.get(LE64, 8));
        assertEquals(1L << 1, bm.get(LE64, 16));
        assertEquals((byte) 0x21, bm.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), "bit n of byte n/8: little-endian words");
        assertNotEquals(wp, memory.writeProtectGeneration(), "cleared bits must write-protect the pages again");

        long wp2 = memory.writeProtectGeneration();
        memory.getDirtyLog(1, bm);
        assertEquals(0, bm.get(LE64, 0) | bm.get(LE64, 8) | bm.get(LE64, 16));
        assertEquals(wp2, memory.writeProtectGeneration(), "nothing cleared, nothing to protect");
    }

    @Test
    void getDirtyLogErrnos() {
        assertErrno("KVM_GET_DIRTY_LOG", Errno.ENOENT, () -> memory.getDirtyLog(1, bitmap(8)));
        memory.setUserMemoryRegion(2, 0, 0, 0x1000, arena.allocate(0x1000, 4096));
        assertErrno("KVM_GET_DIRTY_LOG", Errno.ENOENT, () -> memory.getDirtyLog(2, bitmap(8)));
        assertErrno("KVM_GET_DIRTY_LOG", Errno.EINVAL, () -> memory.getDirtyLog(8, bitmap(8)));
        assertErrno("KVM_GET_DIRTY_LOG", Errno.EINVAL, () -> memory.getDirtyLog(1 << 16, bitmap(8)));
        loggingSlot(65);
        assertErrno("KVM_GET_DIRTY_LOG", Errno.EFAULT, () -> memory.getDirtyLog(1, bitmap(8)));
    }

    @Test
    void manualProtectKeepsBitsUntilCleared() {
        memory.enableManualDirtyLogProtect(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
        MemorySlot slot = loggingSlot(200);
        for (long page = 0; page < 200; page += 3) {
            slot.markDirty(slot.guestPhysAddr() + page * 4096);
        }
        long wp = memory.writeProtectGeneration();
        MemorySegment bm = bitmap(32);
        memory.getDirtyLog(1, bm);
        memory.getDirtyLog(1, bm);
        assertEquals(67, slot.dirtyLog().dirtyCount(), "KVM_GET_DIRTY_LOG does not clear in manual mode");
        assertTrue((bm.get(LE64, 8) & 1L << (66 - 64)) != 0);
        assertEquals(wp, memory.writeProtectGeneration());

        // Clear pages 64..127 whose mask bit is set: only page 66 and 69.
        MemorySegment mask = bitmap(8);
        mask.set(LE64, 0, 1L << 2 | 1L << 5 | 1L << 1); // page 65 is clean: clearing it changes nothing
        memory.clearDirtyLog(1, 64, 64, mask);
        assertFalse(slot.dirtyLog().isDirty(66));
        assertFalse(slot.dirtyLog().isDirty(69));
        assertTrue(slot.dirtyLog().isDirty(63));
        assertTrue(slot.dirtyLog().isDirty(72));
        assertEquals(65, slot.dirtyLog().dirtyCount());
        assertNotEquals(wp, memory.writeProtectGeneration());

        // The tail: num_pages need not be a multiple of 64 when it reaches the end of the slot.
        MemorySegment all = bitmap(16);
        all.set(LE64, 0, -1L);
        all.set(LE64, 8, -1L);
        memory.clearDirtyLog(1, 128, 72, all);
        for (long page = 128; page < 200; page++) {
            assertFalse(slot.dirtyLog().isDirty(page));
        }
        assertTrue(slot.dirtyLog().isDirty(126));
    }

    @Test
    void clearDirtyLogArgumentRules() {
        String op = "KVM_CLEAR_DIRTY_LOG";
        MemorySegment mask = bitmap(64);
        assertErrno(op, Errno.ENOENT, () -> memory.clearDirtyLog(1, 0, 64, mask));
        loggingSlot(200);
        assertErrno(op, Errno.EINVAL, () -> memory.clearDirtyLog(1, 32, 64, mask)); // first_page not a multiple of 64
        assertErrno(op, Errno.EINVAL, () -> memory.clearDirtyLog(1, 0, 100, mask)); // not a multiple of 64, not the end
        assertErrno(op, Errno.EINVAL, () -> memory.clearDirtyLog(1, 128, 73, mask)); // past the end
        assertErrno(op, Errno.EINVAL, () -> memory.clearDirtyLog(1, 256, 0, mask)); // first_page beyond the slot
        assertErrno(op, Errno.EINVAL, () -> memory.clearDirtyLog(9, 0, 64, mask));
        assertErrno(op, Errno.EFAULT, () -> memory.clearDirtyLog(1, 0, 200, bitmap(16)));
        memory.clearDirtyLog(1, 0, 200, mask);
        memory.clearDirtyLog(1, 192, 8, mask);
        memory.clearDirtyLog(1, 0, 0, mask); // nothing to clear is fine
        // KVM checks the first_page alignment before looking the slot up.
        assertErrno(op, Errno.EINVAL, () -> memory.clearDirtyLog(3, 1, 64, mask));
        // Works without manual protect, as in KVM.
        assertEquals(0, memory.manualDirtyLogProtect());
    }

    @Test
    void manualProtectOptionsFollowKvm() {
        assertErrno("KVM_ENABLE_CAP", Errno.EINVAL, () -> memory.enableManualDirtyLogProtect(KVM_DIRTY_LOG_INITIALLY_SET));
        assertErrno("KVM_ENABLE_CAP", Errno.EINVAL, () -> memory.enableManualDirtyLogProtect(4 | 1));
        memory.enableManualDirtyLogProtect(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
        MemorySlot slot = loggingSlot(70);
        assertEquals(70, slot.dirtyLog().dirtyCount(), "KVM_DIRTY_LOG_INITIALLY_SET starts all dirty");
        MemorySegment bm = bitmap(16);
        memory.getDirtyLog(1, bm);
        assertEquals(-1L, bm.get(LE64, 0));
        assertEquals((1L << 6) - 1, bm.get(LE64, 8), "no bits beyond the slot's last page");
        memory.enableManualDirtyLogProtect(0);
        memory.getDirtyLog(1, bm);
        assertEquals(0, slot.dirtyLog().dirtyCount());
    }

    @Test
    void logSurvivesMoveAndFlagChangesButNotDisabling() {
        MemorySlot slot = loggingSlot(4);
        slot.markDirty(0x100000 + 2 * 4096);
        MemorySegment m = slot.segment();
        memory.setUserMemoryRegion(1, KVM_MEM_LOG_DIRTY_PAGES, 0x200000, 4 * 4096, m);
        assertTrue(memory.slot(1).dirtyLog().isDirty(2));
        memory.setUserMemoryRegion(1, 0, 0x200000, 4 * 4096, m);
        assertFalse(memory.slot(1).logDirty());
        assertErrno("KVM_GET_DIRTY_LOG", Errno.ENOENT, () -> memory.getDirtyLog(1, bitmap(8)));
        memory.setUserMemoryRegion(1, KVM_MEM_LOG_DIRTY_PAGES, 0x200000, 4 * 4096, m);
        assertEquals(0, memory.slot(1).dirtyLog().dirtyCount(), "re-enabling starts a fresh log");
    }

    @Test
    void concurrentMarkingLosesNoPageAcrossHarvests() throws InterruptedException {
        int pages = 4096;
        MemorySlot slot = loggingSlot(pages);
        int writers = 2;
        BitSet[] written = new BitSet[writers];
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] threads = new Thread[writers];
        for (int t = 0; t < writers; t++) {
            BitSet mine = written[t] = new BitSet(pages);
            threads[t] = new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int n = 0; n < 200_000 && !stop.get(); n++) {
                    int page = r.nextInt(pages);
                    mine.set(page);
                    slot.markDirty(slot.guestPhysAddr() + (long) page * 4096);
                }
            });
            threads[t].start();
        }
        BitSet harvested = new BitSet(pages);
        MemorySegment bm = bitmap(pages / 8);
        boolean running = true;
        while (running) {
            running = false;
            for (Thread t : threads) {
                running |= t.isAlive();
            }
            memory.getDirtyLog(1, bm); // one final harvest after the writers are done
            for (int w = 0; w < pages / 64; w++) {
                long word = bm.get(LE64, w * 8L);
                for (int b = 0; b < 64; b++) {
                    if ((word & 1L << b) != 0) {
                        harvested.set(w * 64 + b);
                    }
                }
            }
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        BitSet expected = new BitSet(pages);
        for (BitSet b : written) {
            expected.or(b);
        }
        assertEquals(expected, harvested);
        assertEquals(0, slot.dirtyLog().dirtyCount());
    }
}
