package io.jkvm.mmu;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.jkvm.mmu.GuestMemory.KVM_MEM_LOG_DIRTY_PAGES;
import static io.jkvm.mmu.GuestMemory.KVM_MEM_READONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KVM_SET_USER_MEMORY_REGION's rules, each with the errno {@code kvm_set_memory_region()} returns. */
class GuestMemoryTest {
    private final Arena arena = Arena.ofShared();
    private final GuestMemory memory = new GuestMemory(8);

    @AfterEach
    void close() {
        arena.close();
    }

    private MemorySegment native4k(long size) {
        return arena.allocate(size, 4096);
    }

    private static void assertErrno(Errno expected, Executable call) {
        KvmException e = assertThrows(KvmException.class, call);
        assertEquals(expected, e.errno(), e.getMessage());
        assertEquals("KVM_SET_USER_MEMORY_REGION", e.operation());
    }

    @Test
    void createsSlotAndFindsIt() {
        MemorySegment m = native4k(0x4000);
        memory.setUserMemoryRegion(3, 0, 0x10000, 0x4000, m);
        MemorySlot s = memory.slot(3);
        assertEquals(3, s.id());
        assertEquals(0x10000, s.guestPhysAddr());
        assertEquals(0x4000, s.size());
        assertEquals(m.address(), s.hostAddress());
        assertSame(s, memory.find(0x10000));
        assertSame(s, memory.find(0x13FFF));
        assertNull(memory.find(0x14000));
        assertNull(memory.find(0xFFFF));
        assertFalse(s.readOnly());
        assertFalse(s.logDirty());
        assertEquals(List.of(s), memory.slots());
    }

    @Test
    void refusesUnknownFlags() {
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 4, 0, 0x1000, native4k(0x1000)));
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 1 << 2 | 1, 0, 0x1000, native4k(0x1000)));
    }

    @Test
    void refusesSlotIdsBeyondTheLimitAndOtherAddressSpaces() {
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(8, 0, 0, 0x1000, native4k(0x1000)));
        // Bits 31:16 select the address space; only address space 0 exists (no SMM).
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(1 << 16, 0, 0, 0x1000, native4k(0x1000)));
        memory.setUserMemoryRegion(7, 0, 0, 0x1000, native4k(0x1000));
        assertEquals(7, memory.find(0).id());
    }

    @Test
    void refusesUnalignedSizeAddressAndHostMemory() {
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 0, 0, 0x1800, native4k(0x2000)));
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 0, 0x800, 0x1000, native4k(0x1000)));
        MemorySegment unaligned = native4k(0x3000).asSlice(0x10, 0x2000);
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 0, 0, 0x1000, unaligned));
        assertTrue(memory.slots().isEmpty());
    }

    @Test
    void refusesAddressPlusSizeWrapping() {
        assertErrno(Errno.EINVAL,
                () -> memory.setUserMemoryRegion(0, 0, 0xFFFF_FFFF_FFFF_F000L, 0x2000, native4k(0x2000)));
    }

    @Test
    void refusesMoreThanKvmMemMaxNrPages() {
        // 2^31 pages: above KVM_MEM_MAX_NR_PAGES = 2^31 - 1. KVM refuses this before looking at the memory.
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 0, 0, 1L << 43, native4k(0x1000)));
    }

    @Test
    void refusesSlotsAboveThe52BitPhysicalAddressSpace() {
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 0, 1L << 52, 0x1000, native4k(0x1000)));
        memory.setUserMemoryRegion(0, 0, (1L << 52) - 0x1000, 0x1000, native4k(0x1000));
    }

    @Test
    void refusesMemoryThatCannotBackTheSlotWithEfault() {
        assertErrno(Errno.EFAULT, () -> memory.setUserMemoryRegion(0, 0, 0, 0x2000, native4k(0x1000)));
        assertErrno(Errno.EFAULT, () -> memory.setUserMemoryRegion(0, 0, 0, 0x1000, MemorySegment.ofArray(new byte[0x1000])));
        assertErrno(Errno.EFAULT, () -> memory.setUserMemoryRegion(0, 0, 0, 0x1000, null));
        MemorySegment readOnly = native4k(0x1000).asReadOnly();
        assertErrno(Errno.EFAULT, () -> memory.setUserMemoryRegion(0, 0, 0, 0x1000, readOnly));
        memory.setUserMemoryRegion(0, KVM_MEM_READONLY, 0, 0x1000, readOnly);
        assertTrue(memory.slot(0).readOnly());
    }

    @Test
    void kvmChecksWinOverTheBackingCheck() {
        // A heap segment and a bad slot id: KVM reports the slot id (EINVAL); the EFAULT comes only after every check KVM makes.
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(9, 0, 0, 0x1000, MemorySegment.ofArray(new byte[0x1000])));
    }

    @Test
    void deletesWithSizeZeroAndRefusesDeletingNothing() {
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(2, 0, 0, 0, null));
        memory.setUserMemoryRegion(2, 0, 0x2000, 0x1000, native4k(0x1000));
        long before = memory.generation();
        memory.setUserMemoryRegion(2, 0, 0, 0, null);
        assertNull(memory.slot(2));
        assertNull(memory.find(0x2000));
        assertNotEquals(before, memory.generation());
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(2, 0, 0, 0, null));
    }

    @Test
    void refusesOverlapWithEexist() {
        memory.setUserMemoryRegion(0, 0, 0x10000, 0x4000, native4k(0x4000));
        assertErrno(Errno.EEXIST, () -> memory.setUserMemoryRegion(1, 0, 0x13000, 0x2000, native4k(0x2000)));
        assertErrno(Errno.EEXIST, () -> memory.setUserMemoryRegion(1, 0, 0xF000, 0x2000, native4k(0x2000)));
        assertErrno(Errno.EEXIST, () -> memory.setUserMemoryRegion(1, 0, 0x0, 0x100000, native4k(0x100000)));
        // Touching is not overlapping.
        memory.setUserMemoryRegion(1, 0, 0x14000, 0x1000, native4k(0x1000));
        memory.setUserMemoryRegion(2, 0, 0xF000, 0x1000, native4k(0x1000));
        assertEquals(3, memory.slots().size());
    }

    @Test
    void existingSlotMayOnlyMoveOrToggleDirtyLogging() {
        MemorySegment m = native4k(0x4000);
        memory.setUserMemoryRegion(0, 0, 0x10000, 0x2000, m);
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 0, 0x10000, 0x3000, m)); // size
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 0, 0x10000, 0x2000, native4k(0x2000))); // host
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, KVM_MEM_READONLY, 0x10000, 0x2000, m)); // READONLY

        long g0 = memory.generation();
        memory.setUserMemoryRegion(0, 0, 0x10000, 0x2000, m); // nothing to change
        assertEquals(g0, memory.generation());

        memory.setUserMemoryRegion(0, KVM_MEM_LOG_DIRTY_PAGES, 0x10000, 0x2000, m);
        assertTrue(memory.slot(0).logDirty());
        assertNotEquals(g0, memory.generation());

        // Moving: same host memory and size, new address; it may overlap its own old range.
        memory.setUserMemoryRegion(0, KVM_MEM_LOG_DIRTY_PAGES, 0x11000, 0x2000, m);
        assertNull(memory.find(0x10000));
        assertEquals(0x11000, memory.find(0x12FFF).guestPhysAddr());
        // A move onto another slot is refused.
        memory.setUserMemoryRegion(1, 0, 0x20000, 0x1000, native4k(0x1000));
        assertErrno(Errno.EEXIST, () -> memory.setUserMemoryRegion(0, KVM_MEM_LOG_DIRTY_PAGES, 0x1F000, 0x2000, m));
        // A segment object with the same address is the same userspace_addr.
        memory.setUserMemoryRegion(0, 0, 0x11000, 0x2000, MemorySegment.ofAddress(m.address()).reinterpret(0x2000));
        assertFalse(memory.slot(0).logDirty());
    }

    @Test
    void readOnlyMayNotBeToggledOnAnExistingSlot() {
        MemorySegment m = native4k(0x1000);
        memory.setUserMemoryRegion(0, KVM_MEM_READONLY, 0, 0x1000, m);
        assertErrno(Errno.EINVAL, () -> memory.setUserMemoryRegion(0, 0, 0, 0x1000, m));
        memory.setUserMemoryRegion(0, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES, 0, 0x1000, m);
        assertTrue(memory.slot(0).readOnly());
    }

    @Test
    void findsAmongManySlotsAndGaps() {
        GuestMemory many = new GuestMemory(64);
        for (int i = 0; i < 40; i++) {
            // slot i at 0x100000 * (40 - i), 8 KiB each: created out of address order
            many.setUserMemoryRegion(i, 0, 0x100000L * (40 - i), 0x2000, native4k(0x2000));
        }
        for (int i = 0; i < 40; i++) {
            long base = 0x100000L * (40 - i);
            assertEquals(i, many.find(base).id());
            assertEquals(i, many.find(base + 0x1FFF).id());
            assertNull(many.find(base + 0x2000));
            assertNull(many.find(base - 1));
        }
        assertNull(many.find(0));
        assertNull(many.find(-1L));
        List<MemorySlot> sorted = many.slots();
        for (int i = 1; i < sorted.size(); i++) {
            assertTrue(sorted.get(i - 1).guestPhysAddr() < sorted.get(i).guestPhysAddr());
        }
    }

    @Test
    void physicalHelpersSpanAdjacentSlotsAndFailOutsideRam() {
        memory.setUserMemoryRegion(0, 0, 0x0, 0x1000, native4k(0x1000));
        memory.setUserMemoryRegion(1, KVM_MEM_READONLY, 0x1000, 0x1000, native4k(0x1000));
        memory.writeLong(0xFFC, 0x1122334455667788L); // crosses into the READONLY slot: a host write may
        assertEquals(0x1122334455667788L, memory.readLong(0xFFC));
        assertEquals(0x55667788, memory.readInt(0xFFC));
        assertEquals(0x11223344, memory.readInt(0x1000));
        assertEquals((short) 0x7788, memory.readShort(0xFFC));
        assertEquals((byte) 0x44, memory.readByte(0x1000));
        byte[] bytes = memory.readBytes(0xFFE, 4);
        assertArrayEquals(new byte[] {0x66, 0x55, 0x44, 0x33}, bytes);

        MemoryAccessException out = assertThrows(MemoryAccessException.class, () -> memory.readLong(0x1FFC));
        assertEquals(0x1FFC, out.guestPhysAddr());
        assertThrows(MemoryAccessException.class, () -> memory.writeInt(0x2000, 1));
        // A guest write (DMA) into the READONLY slot is refused and changes nothing, even the RAM part.
        assertThrows(MemoryAccessException.class, () -> memory.guestWriteLong(0xFFC, 0));
        assertEquals(0x1122334455667788L, memory.readLong(0xFFC));
    }

    @Test
    void guestWritesMarkDirtyHostWritesDoNot() {
        memory.setUserMemoryRegion(0, KVM_MEM_LOG_DIRTY_PAGES, 0, 0x4000, native4k(0x4000));
        DirtyLog log = memory.slot(0).dirtyLog();
        memory.writeLong(0x1000, 42);
        assertEquals(0, log.dirtyCount());
        memory.guestWriteBytes(0x1FFE, new byte[4], 0, 4); // pages 1 and 2
        assertFalse(log.isDirty(0));
        assertTrue(log.isDirty(1));
        assertTrue(log.isDirty(2));
        assertFalse(log.isDirty(3));
        memory.markDirty(0x3123);
        assertTrue(log.isDirty(3));
        memory.markDirty(0x9000); // no slot: nothing happens
        assertEquals(3, log.dirtyCount());

        MemorySegment bitmap = native4k(8);
        memory.getDirtyLog(0, bitmap);
        memory.guestWriteLong(0xFFC, 0x0102030405060708L); // the small-write path, across pages 0 and 1
        memory.guestWriteInt(0x3000, 5);
        memory.writeInt(0x2000, 6);
        assertEquals(0b1011, bitmapOf(memory, bitmap));
        assertEquals(0x0102030405060708L, memory.readLong(0xFFC));
        assertEquals(5, memory.readInt(0x3000));
        assertEquals(6, memory.readInt(0x2000));
    }

    private static long bitmapOf(GuestMemory memory, MemorySegment bitmap) {
        memory.getDirtyLog(0, bitmap);
        return bitmap.get(TestRam.LE64, 0);
    }

    @Test
    void writesInvalidateCodeAndSlotChangesForgetIt() {
        memory.setUserMemoryRegion(0, 0, 0, 0x4000, native4k(0x4000));
        CodeMap code = memory.codeMap();
        List<Long> invalidated = new ArrayList<>();
        code.addListener(invalidated::add);
        code.markCode(0x1100, 16);
        memory.writeInt(0x1110, 7); // right after the code: not code
        assertTrue(invalidated.isEmpty());
        memory.writeInt(0x110E, 7); // overlaps the last two code bytes
        assertEquals(List.of(0x1000L), invalidated);
        code.markCode(0x1100, 16);
        memory.writeBytes(0x10F0, new byte[16]); // ends right before the code
        memory.writeByte(0x1110, (byte) 1);
        assertEquals(List.of(0x1000L), invalidated);
        memory.guestWriteBytes(0x10F8, new byte[9], 0, 9); // its last byte is the first code byte
        assertEquals(List.of(0x1000L, 0x1000L), invalidated);
        assertFalse(code.pageHasCode(0x1000));

        code.markCode(0x2000, 4);
        memory.setUserMemoryRegion(0, 0, 0, 0, null);
        assertEquals(List.of(0x1000L, 0x1000L, 0x2000L), invalidated);
        assertEquals(0, code.codePages());
    }

    @Test
    void listenersHearSlotChanges() {
        List<Long> generations = new ArrayList<>();
        memory.addListener(new GuestMemory.Listener() {
            @Override
            public void slotsChanged(long generation) {
                generations.add(generation);
            }
        });
        memory.setUserMemoryRegion(0, 0, 0, 0x1000, native4k(0x1000));
        memory.setUserMemoryRegion(0, 0, 0, 0, null);
        assertEquals(2, generations.size());
        assertEquals(memory.generation(), generations.get(1));
    }
}
