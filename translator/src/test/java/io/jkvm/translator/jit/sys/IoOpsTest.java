package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.translator.jit.sys.Machine.*;
import static org.junit.jupiter.api.Assertions.*;

/** Port I/O: permission (IOPL, TSS bitmap), exits as KVM describes them, and their completion. */
class IoOpsTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;

    @AfterEach
    void close() {
        m.close();
    }

    private void complete() {
        assertTrue(ExitCompletion.complete(cpu, m.mem, cpu.exit.kind));
    }

    /** Gives the 64-bit TSS an 8 KiB I/O bitmap at offset 0x68 with every port allowed. */
    private void withBitmap() {
        m.put16(TSS + 0x66, 0x68);
        m.ram.asSlice(TSS + 0x68, 0x2001).fill((byte) 0);
        m.put8(TSS + 0x68 + 0x2000, 0xff);
        cpu.tr.limit = 0x68 + 0x2000;
    }

    private void deny(int port) {
        long a = TSS + 0x68 + port / 8;
        m.put8(a, m.get8(a) | 1 << (port % 8));
    }

    @Test
    void inAtCpl3WithIopl0AndNoBitmapRaisesGp0() {
        m.longMode(3);
        cpu.gpr[CpuState.RDX] = 0x3f8;
        GuestException e = assertThrows(GuestException.class, () -> m.exec("ec"));
        assertEquals(GuestException.GP, e.vector());
        assertEquals(0, e.errorCode());
        assertEquals(0x100000, cpu.rip);
    }

    @Test
    void inAtCpl3WithIopl3ExitsAndCompletesIntoAl() {
        m.longMode(3);
        cpu.setRflags(Flags.FIXED | Flags.IOPL);
        cpu.gpr[CpuState.RAX] = 0xffff_ffff_ffff_ff00L;
        cpu.gpr[CpuState.RDX] = 0x3fd;
        assertEquals(Status.EXIT, m.exec("ec"));
        ExitRequest e = cpu.exit;
        assertEquals(ExitRequest.Kind.IO, e.kind);
        assertTrue(e.ioIn);
        assertEquals(0x3fd, e.port);
        assertEquals(1, e.size);
        assertEquals(1, e.count);
        assertEquals(0x100000, cpu.rip, "RIP stays at IN until the data is there");

        e.data[0] = 0x60;
        complete();
        assertEquals(0xffff_ffff_ffff_ff60L, cpu.gpr[CpuState.RAX], "IN AL merges");
        assertEquals(0x100001, cpu.rip);
        assertEquals(1, cpu.instructions);
    }

    @Test
    void in32ZeroExtendsIntoRax() {
        m.longMode(0);
        cpu.gpr[CpuState.RAX] = -1L;
        assertEquals(Status.EXIT, m.exec("e5 40"));
        assertEquals(0x40, cpu.exit.port);
        assertEquals(4, cpu.exit.size);
        IoOps.putLittleEndian(cpu.exit.data, 0, 4, 0x12345678);
        complete();
        assertEquals(0x12345678L, cpu.gpr[CpuState.RAX]);
        assertEquals(0x100002, cpu.rip);
    }

    @Test
    void tssBitmapGrantsAndDeniesEachPortByte() {
        m.longMode(3);
        withBitmap();
        deny(0x3f9);
        deny(0x400);
        cpu.gpr[CpuState.RDX] = 0x3f8;
        assertEquals(Status.EXIT, m.exec("ee"), "port 0x3f8 is allowed");
        cpu.gpr[CpuState.RDX] = 0x3f9;
        assertThrows(GuestException.class, () -> m.exec("ee"));
        // A word access at 0x3ff also touches 0x400, which is denied (the check spans two bitmap bytes).
        cpu.gpr[CpuState.RDX] = 0x3ff;
        assertThrows(GuestException.class, () -> m.exec("66 ef"));
        cpu.gpr[CpuState.RDX] = 0x3fe;
        assertEquals(Status.EXIT, m.exec("66 ef"));
        // Bytes past the TSS limit deny.
        cpu.tr.limit = 0x68 + 0x10;
        cpu.gpr[CpuState.RDX] = 0x100;
        assertThrows(GuestException.class, () -> m.exec("ee"));
    }

    @Test
    void outCarriesTheDataAndCompletesAfterTheExit() {
        m.longMode(0);
        cpu.gpr[CpuState.RAX] = 0xcafebabe;
        cpu.gpr[CpuState.RDX] = 0xf4;
        assertEquals(Status.EXIT, m.exec("ef"));
        assertFalse(cpu.exit.ioIn);
        assertEquals(0xf4, cpu.exit.port);
        assertEquals(4, cpu.exit.size);
        assertEquals(0xcafebabeL, IoOps.getLittleEndian(cpu.exit.data, 0, 4));
        assertEquals(0x100000, cpu.rip);
        complete();
        assertEquals(0x100001, cpu.rip);
    }

    @Test
    void outToPort7eHasRipAdvancedAtTheExitLikeKvmsQuirk() {
        m.longMode(0);
        assertEquals(Status.EXIT, m.exec("e6 7e"));
        assertEquals(0x100002, cpu.rip);
        complete();
        assertEquals(0x100002, cpu.rip, "nothing left to complete");
        assertEquals(1, cpu.instructions);
    }

    @Test
    void completionIsDroppedWhenTheVmmMovedRip() {
        m.longMode(0);
        assertEquals(Status.EXIT, m.exec("e4 60"));
        cpu.rip = 0x200000;
        cpu.exit.data[0] = 1;
        complete();
        assertEquals(0x200000, cpu.rip);
        assertEquals(0, cpu.gpr[CpuState.RAX] & 0xff);
    }

    @Test
    void repInsbCarriesUpToThePageEndPerExit() {
        m.longMode(0);
        cpu.gpr[CpuState.RDX] = 0x1f0;
        cpu.gpr[CpuState.RDI] = 0x150ff0;
        cpu.gpr[CpuState.RCX] = 0x2000;
        assertEquals(Status.EXIT, m.exec("f3 6c"));
        assertTrue(cpu.exit.ioIn);
        assertEquals(16, cpu.exit.count, "up to the end of the page");
        for (int i = 0; i < 16; i++) {
            cpu.exit.data[i] = (byte) (i + 1);
        }
        complete();
        for (int i = 0; i < 16; i++) {
            assertEquals(i + 1, m.get8(0x150ff0 + i));
        }
        assertEquals(0x2000 - 16, cpu.gpr[CpuState.RCX]);
        assertEquals(0x151000, cpu.gpr[CpuState.RDI]);
        assertEquals(0x100000, cpu.rip, "REP continues");

        assertEquals(Status.EXIT, m.exec("f3 6c"));
        assertEquals(4096, cpu.exit.count, "a whole page next");
    }

    @Test
    void repOutswReadsTheElementsIntoTheExit() {
        m.longMode(0);
        for (int i = 0; i < 8; i++) {
            m.put16(0x150000 + 2 * i, 0x100 + i);
        }
        cpu.gpr[CpuState.RDX] = 0x1f0;
        cpu.gpr[CpuState.RSI] = 0x150000;
        cpu.gpr[CpuState.RCX] = 8;
        assertEquals(Status.EXIT, m.exec("f3 66 6f"));
        assertFalse(cpu.exit.ioIn);
        assertEquals(2, cpu.exit.size);
        assertEquals(8, cpu.exit.count);
        for (int i = 0; i < 8; i++) {
            assertEquals(0x100 + i, IoOps.getLittleEndian(cpu.exit.data, 2 * i, 2));
        }
        complete();
        assertEquals(0, cpu.gpr[CpuState.RCX]);
        assertEquals(0x150010, cpu.gpr[CpuState.RSI]);
        assertEquals(0x100003, cpu.rip);
    }

    @Test
    void insIntoAnUnmappedPageFaultsBeforeTheDeviceIsRead() {
        m.longMode(0);
        m.splitSecondLargePage();
        m.unmap(0x205000);
        cpu.gpr[CpuState.RDI] = 0x205000;
        cpu.gpr[CpuState.RCX] = 4;
        GuestException e = assertThrows(GuestException.class, () -> m.exec("f3 6c"));
        assertEquals(GuestException.PF, e.vector());
        assertEquals(ExitRequest.Kind.NONE, cpu.exit.kind);
    }

    @Test
    void realModeNeedsNoPermission() {
        m.realMode();
        cpu.gpr[CpuState.RDX] = 0x3fd;
        assertEquals(Status.EXIT, m.exec("ec"));
    }
}
