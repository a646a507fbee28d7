package io.jkvm.abi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Nested views, pointers and argument checks, against offsets of asm/kvm.h and linux/kvm.h (x86-64). */
class StructViewsTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void regsInHeaderOrder() {
        KvmRegs regs = KvmRegs.allocate(arena).rax(1).r15(2).rip(0x100000).rflags(0x2);
        assertEquals(144, KvmRegs.LAYOUT.byteSize());
        assertEquals(1, regs.segment().get(JAVA_LONG, 0));
        assertEquals(2, regs.segment().get(JAVA_LONG, 120));
        assertEquals(0x100000, regs.segment().get(JAVA_LONG, 128)); // offsetof(struct kvm_regs, rip)
        assertEquals(0x2, regs.segment().get(JAVA_LONG, 136));
        KvmRegs copy = KvmRegs.allocate(arena).copyFrom(regs);
        assertEquals(0x100000, copy.rip());
        assertTrue(copy.toString().contains("rip=0x100000"), copy.toString());
    }

    @Test
    void sregsViewsShareMemory() {
        KvmSregs sregs = KvmSregs.allocate(arena);
        MemorySegment s = sregs.segment();
        sregs.cs().selector(0x08).l(1).type(0xB).base(0x1000);
        sregs.ldt().selector(0x28);
        sregs.idt().limit(0xFFF).base(0x2000);
        sregs.cr0(0x80050033L).efer(0xD00).apicBase(0xFEE00900L).interruptBitmap(3, 1L << 63);

        assertEquals(312, KvmSregs.LAYOUT.byteSize());
        assertEquals(0x1000, s.get(JAVA_LONG, 0));          // cs.base
        assertEquals(0x08, s.get(JAVA_SHORT, 12));          // cs.selector
        assertEquals(0xB, s.get(JAVA_BYTE, 14));            // cs.type
        assertEquals(1, s.get(JAVA_BYTE, 19));              // cs.l
        assertEquals(0x28, s.get(JAVA_SHORT, 7 * 24 + 12)); // ldt.selector
        assertEquals(0x2000, s.get(JAVA_LONG, 208));        // idt.base
        assertEquals(0xFFF, s.get(JAVA_SHORT, 216));        // idt.limit
        assertEquals(0x80050033L, s.get(JAVA_LONG, 224));   // cr0
        assertEquals(0xD00, s.get(JAVA_LONG, 264));         // efer
        assertEquals(0xFEE00900L, s.get(JAVA_LONG, 272));   // apic_base
        assertEquals(1L << 63, s.get(JAVA_LONG, 304));      // interrupt_bitmap[3]: vector 255
        assertEquals(0x08, sregs.cs().selector());
        assertThrows(IndexOutOfBoundsException.class, () -> sregs.interruptBitmap(4));
    }

    @Test
    void guestDebugFpuAndMsrFilterNesting() {
        KvmGuestDebug dbg = KvmGuestDebug.allocate(arena)
                .control(GuestDebugFlags.KVM_GUESTDBG_ENABLE | GuestDebugFlags.KVM_GUESTDBG_USE_HW_BP);
        dbg.arch().debugreg(7, 0x401);
        assertEquals(0x20001, dbg.segment().get(JAVA_INT, 0));
        assertEquals(0x401, dbg.segment().get(JAVA_LONG, 8 + 7 * 8));

        KvmFpu fpu = KvmFpu.allocate(arena).fcw(0x37F).mxcsr(0x1F80);
        fpu.xmm(15).set(JAVA_LONG, 8, -1L);
        fpu.fpr(7).set(JAVA_BYTE, 0, (byte) 1);
        assertEquals(416, KvmFpu.LAYOUT.byteSize());
        assertEquals(0x37F, fpu.segment().get(JAVA_SHORT, 128));
        assertEquals(0x1F80, fpu.segment().get(JAVA_INT, 408));
        assertEquals(-1L, fpu.segment().get(JAVA_LONG, 152 + 15 * 16 + 8));
        assertEquals(1, fpu.segment().get(JAVA_BYTE, 7 * 16));
        assertThrows(IndexOutOfBoundsException.class, () -> fpu.xmm(16));

        KvmMsrFilter filter = KvmMsrFilter.allocate(arena).flags(MsrFilterFlags.KVM_MSR_FILTER_DEFAULT_DENY);
        MemorySegment bitmap = arena.allocate(0x600);
        filter.ranges(15).flags(MsrFilterFlags.KVM_MSR_FILTER_READ).nmsrs(0x2000).base(0xC0000000).bitmap(bitmap);
        long range15 = 8 + 15 * 24;
        assertEquals(392, KvmMsrFilter.LAYOUT.byteSize());
        assertEquals(1, filter.segment().get(JAVA_INT, range15));
        assertEquals(0xC0000000, filter.segment().get(JAVA_INT, range15 + 8));
        assertEquals(bitmap.address(), filter.segment().get(JAVA_LONG, range15 + 16));
        assertEquals(bitmap.address(), filter.ranges(15).bitmap());
        assertThrows(IndexOutOfBoundsException.class, () -> filter.ranges(16));
    }

    @Test
    void dirtyLogPointersMustBeNative() {
        KvmDirtyLog log = KvmDirtyLog.allocate(arena).slot(3);
        MemorySegment bitmap = arena.allocate(64, 8);
        log.dirtyBitmap(bitmap);
        assertEquals(bitmap.address(), log.segment().get(JAVA_LONG, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> log.dirtyBitmap(MemorySegment.ofArray(new long[8])));
        assertTrue(e.getMessage().contains("Arena"), e.getMessage());

        KvmClearDirtyLog clear = KvmClearDirtyLog.allocate(arena).slot(1).numPages(64).firstPage(128)
                .dirtyBitmap(bitmap);
        assertEquals(64, clear.segment().get(JAVA_INT, 4));
        assertEquals(128, clear.segment().get(JAVA_LONG, 8));
        assertEquals(bitmap.address(), clear.segment().get(JAVA_LONG, 16));
    }

    @Test
    void irqLevelStatusSharesIrq() {
        KvmIrqLevel level = KvmIrqLevel.allocate(arena).irq(4).level(1);
        assertEquals(4, level.status());
        level.status(-1);
        assertEquals(-1, level.irq());
        assertEquals(1, level.segment().get(JAVA_INT, 4));
    }

    @Test
    void enableCapTakesTheEnum() {
        KvmEnableCap cap = KvmEnableCap.allocate(arena).cap(Capability.JKVM_CPUID_EXIT).args(3, 5);
        assertEquals(0x4A4B0001, cap.segment().get(JAVA_INT, 0));
        assertEquals(5, cap.segment().get(JAVA_LONG, 8 + 3 * 8));
        assertEquals(Capability.JKVM_CPUID_EXIT, cap.capability());
        assertEquals(104, KvmEnableCap.LAYOUT.byteSize());
    }

    @Test
    void narrowFieldsRefuseValuesCWouldTruncate() {
        KvmSegment seg = KvmSegment.allocate(arena);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> seg.type(0x100));
        assertTrue(e.getMessage().contains("kvm_segment.type"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> seg.selector(-1));
        assertEquals(0xFFFF, seg.selector(0xFFFF).selector());
    }

    @Test
    void segmentsMustBeLargeEnoughAndAligned() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> new KvmRegs(arena.allocate(100, 8)));
        assertTrue(small.getMessage().contains("144") && small.getMessage().contains("KvmRegs.allocate"),
                small.getMessage());
        MemorySegment misaligned = arena.allocate(200, 8).asSlice(4);
        IllegalArgumentException unaligned = assertThrows(IllegalArgumentException.class,
                () -> new KvmRegs(misaligned));
        assertTrue(unaligned.getMessage().contains("8-byte aligned"), unaligned.getMessage());
        // A long[]-backed heap segment is 8-byte aligned, so tests and the jit backend may use one.
        assertEquals(7, new KvmRegs(MemorySegment.ofArray(new long[18])).rip(7).rip());
    }

    @Test
    void allocateZeroesEvenWithARecyclingAllocator() {
        MemorySegment dirty = arena.allocate(KvmSregs.LAYOUT).fill((byte) 0x5A);
        KvmSregs sregs = KvmSregs.allocate(java.lang.foreign.SegmentAllocator.prefixAllocator(dirty));
        assertEquals(0, sregs.cr3());
        assertEquals(0, sregs.tr().selector());
    }
}
