package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.jkvm.translator.jit.sys.Machine.*;
import static org.junit.jupiter.api.Assertions.*;

/** MOVS/STOS/LODS/CMPS/SCAS: results, REP termination, precision on faults and exits, the bulk path. */
class StringOpsTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;

    @BeforeEach
    void longMode() {
        m.longMode(0);
    }

    @AfterEach
    void close() {
        m.close();
    }

    private void fillPattern(long gpa, int n) {
        for (int i = 0; i < n; i++) {
            m.put8(gpa + i, i * 7 + 3);
        }
    }

    @Test
    void repMovsbCopiesWholePagesAndUpdatesRegisters() {
        fillPattern(0x150000, 3 * 4096 + 100);
        cpu.gpr[CpuState.RSI] = 0x150000;
        cpu.gpr[CpuState.RDI] = 0x180010;
        cpu.gpr[CpuState.RCX] = 3 * 4096 + 100;
        assertEquals(Status.CONTINUE, m.exec("f3 a4"));
        for (int i = 0; i < 3 * 4096 + 100; i++) {
            assertEquals((i * 7 + 3) & 0xff, m.get8(0x180010 + i), "byte " + i);
        }
        assertEquals(0, m.get8(0x180010 + 3 * 4096 + 100));
        assertEquals(0, cpu.gpr[CpuState.RCX]);
        assertEquals(0x150000 + 3 * 4096 + 100, cpu.gpr[CpuState.RSI]);
        assertEquals(0x180010 + 3 * 4096 + 100, cpu.gpr[CpuState.RDI]);
        assertEquals(0x100002, cpu.rip);
        assertEquals(1, cpu.instructions);
    }

    @Test
    void repMovsbIntoAnUnmappedPageStopsPreciselyWithAPageFault() {
        m.splitSecondLargePage();
        m.unmap(0x201000);
        fillPattern(0x200f00, 0x200);
        cpu.gpr[CpuState.RSI] = 0x200f00;
        cpu.gpr[CpuState.RDI] = 0x100000;
        cpu.gpr[CpuState.RCX] = 0x200;

        assertEquals(Status.TRAP, m.exec("f3 a4"));

        GuestException pf = cpu.trap;
        assertEquals(GuestException.PF, pf.vector());
        assertEquals(0x201000, pf.address());
        assertEquals(0x100, cpu.gpr[CpuState.RCX], "RCX counts the elements not copied");
        assertEquals(0x201000, cpu.gpr[CpuState.RSI]);
        assertEquals(0x100100, cpu.gpr[CpuState.RDI]);
        assertEquals(0x100000, cpu.rip, "RIP stays on the REP MOVS");
        assertEquals(0, cpu.instructions);
        for (int i = 0; i < 0x100; i++) {
            assertEquals((i * 7 + 3) & 0xff, m.get8(0x100000 + i));
        }
        assertEquals(0, m.get8(0x100100));
    }

    @Test
    void repStosqFillsAndAFaultOnTheFirstElementChangesNothing() {
        cpu.gpr[CpuState.RAX] = 0x1122334455667788L;
        cpu.gpr[CpuState.RDI] = 0x150008;
        cpu.gpr[CpuState.RCX] = 1000;
        assertEquals(Status.CONTINUE, m.exec("f3 48 ab"));
        for (int i = 0; i < 1000; i++) {
            assertEquals(0x1122334455667788L, m.get64(0x150008 + 8L * i));
        }
        assertEquals(0x150008 + 8000, cpu.gpr[CpuState.RDI]);

        m.splitSecondLargePage();
        m.unmap(0x210000);
        cpu.gpr[CpuState.RDI] = 0x210000;
        cpu.gpr[CpuState.RCX] = 5;
        assertEquals(Status.TRAP, m.exec("f3 48 ab"));
        assertEquals(5, cpu.gpr[CpuState.RCX]);
        assertEquals(0x210000, cpu.gpr[CpuState.RDI]);
    }

    @Test
    void forwardOverlappingMovsReplicatesLikeElementByElement() {
        m.put8(0x150000, 0xab);
        m.put8(0x150001, 0xcd);
        cpu.gpr[CpuState.RSI] = 0x150000;
        cpu.gpr[CpuState.RDI] = 0x150002;
        cpu.gpr[CpuState.RCX] = 100;
        assertEquals(Status.CONTINUE, m.exec("f3 a4"));
        for (int i = 0; i < 102; i++) {
            assertEquals(i % 2 == 0 ? 0xab : 0xcd, m.get8(0x150000 + i), "byte " + i);
        }
    }

    /**
     * The page-at-a-time copies against a plain element-by-element model, for every element size, both
     * directions and overlaps of either sign (replicating and memmove-like), across page boundaries.
     */
    @Test
    void repMovsMatchesElementByElementSemanticsForAnyOverlap() {
        long base = 0x150000;
        int span = 3 * 4096;
        for (int size : new int[]{1, 2, 4, 8}) {
            for (boolean down : new boolean[]{false, true}) {
                for (int distance = -19; distance <= 19; distance += 3) {
                    byte[] model = new byte[span + 64];
                    for (int i = 0; i < model.length; i++) {
                        model[i] = (byte) (i * 31 + 7);
                    }
                    MemorySegment.copy(model, 0, m.ram, ValueLayout.JAVA_BYTE, base, model.length);
                    int count = (span / 2) / size;
                    long src = base + 32 + (down ? (long) (count - 1) * size : 0) + (distance < 0 ? -distance : 0);
                    long dst = src + distance;
                    long s = src - base, d = dst - base;
                    for (int k = 0; k < count; k++) {
                        byte[] element = new byte[size];
                        System.arraycopy(model, (int) s, element, 0, size);
                        System.arraycopy(element, 0, model, (int) d, size);
                        s += down ? -size : size;
                        d += down ? -size : size;
                    }
                    cpu.rip = 0x100000;
                    cpu.rflags = down ? cpu.rflags | Flags.DF : cpu.rflags & ~Flags.DF;
                    cpu.gpr[CpuState.RSI] = src;
                    cpu.gpr[CpuState.RDI] = dst;
                    cpu.gpr[CpuState.RCX] = count;
                    String op = switch (size) {
                        case 1 -> "f3 a4";
                        case 2 -> "f3 66 a5";
                        case 4 -> "f3 a5";
                        default -> "f3 48 a5";
                    };
                    assertEquals(Status.CONTINUE, m.exec(op));
                    String what = "size " + size + (down ? " down" : " up") + " distance " + distance;
                    assertArrayEquals(model, m.ram.asSlice(base, model.length).toArray(ValueLayout.JAVA_BYTE), what);
                    assertEquals(base + s, cpu.gpr[CpuState.RSI], what);
                    assertEquals(base + d, cpu.gpr[CpuState.RDI], what);
                }
            }
        }
    }

    @Test
    void repeCmpsAndRepneScasAcrossPages() {
        for (int i = 0; i < 3 * 4096; i++) {
            m.put8(0x150000 + i, i % 251);
            m.put8(0x160800 + i, i % 251);
        }
        m.put8(0x160800 + 5000, 0xff);
        cpu.gpr[CpuState.RSI] = 0x150000;
        cpu.gpr[CpuState.RDI] = 0x160800;
        cpu.gpr[CpuState.RCX] = 3 * 4096;
        assertEquals(Status.CONTINUE, m.exec("f3 a6"));
        assertEquals(0x150000 + 5001, cpu.gpr[CpuState.RSI]);
        assertEquals(3 * 4096 - 5001, cpu.gpr[CpuState.RCX]);
        assertEquals(0, cpu.getRflags() & Flags.ZF);
        assertNotEquals(0, cpu.getRflags() & Flags.CF, "5000 % 251 < 0xff: borrow");

        cpu.rip = 0x100000;
        cpu.gpr[CpuState.RAX] = 0xff;
        cpu.gpr[CpuState.RDI] = 0x160800;
        cpu.gpr[CpuState.RCX] = 3 * 4096;
        assertEquals(Status.CONTINUE, m.exec("f2 ae"));
        assertEquals(0x160800 + 5001, cpu.gpr[CpuState.RDI]);
        assertNotEquals(0, cpu.getRflags() & Flags.ZF);
    }

    @Test
    void movsdWithDirectionFlagMovesDown() {
        m.put32(0x150000, 0x11111111);
        m.put32(0x150004, 0x22222222);
        cpu.rflags |= Flags.DF;
        cpu.gpr[CpuState.RSI] = 0x150004;
        cpu.gpr[CpuState.RDI] = 0x160004;
        cpu.gpr[CpuState.RCX] = 2;
        assertEquals(Status.CONTINUE, m.exec("f3 a5"));
        assertEquals(0x22222222, m.get32(0x160004));
        assertEquals(0x11111111, m.get32(0x160000));
        assertEquals(0x150004 - 8, cpu.gpr[CpuState.RSI]);
    }

    @Test
    void repeCmpsbStopsAtTheFirstDifferenceWithItsFlags() {
        byte[] a = "hello world".getBytes();
        byte[] b = "hello there".getBytes();
        for (int i = 0; i < a.length; i++) {
            m.put8(0x150000 + i, a[i]);
            m.put8(0x160000 + i, b[i]);
        }
        cpu.gpr[CpuState.RSI] = 0x150000;
        cpu.gpr[CpuState.RDI] = 0x160000;
        cpu.gpr[CpuState.RCX] = a.length;
        assertEquals(Status.CONTINUE, m.exec("f3 a6"));
        // Stopped after comparing 'w' with 't' (index 6): 7 elements done.
        assertEquals(a.length - 7, cpu.gpr[CpuState.RCX]);
        assertEquals(0x150007, cpu.gpr[CpuState.RSI]);
        long f = cpu.getRflags();
        assertEquals(0, f & Flags.ZF);
        assertEquals(0, f & Flags.CF, "'w' > 't'");
        assertEquals(0x100002, cpu.rip);
    }

    @Test
    void repneScasbFindsTheTerminator() {
        byte[] s = "jkvm\0".getBytes();
        for (int i = 0; i < s.length; i++) {
            m.put8(0x150000 + i, s[i]);
        }
        cpu.gpr[CpuState.RAX] = 0;
        cpu.gpr[CpuState.RDI] = 0x150000;
        cpu.gpr[CpuState.RCX] = -1L;
        assertEquals(Status.CONTINUE, m.exec("f2 ae"));
        assertEquals(-1L - 5, cpu.gpr[CpuState.RCX], "strlen = ~RCX - 1");
        assertNotEquals(0, cpu.getRflags() & Flags.ZF);
    }

    @Test
    void lodsAndAddressSizeOverrideWrapAt16Bits() {
        m.protectedMode32(0);
        m.put16(0x0fffe, 0x5151);
        cpu.gpr[CpuState.RSI] = 0x7777fffe;
        // 67 lodsw: SI wraps within 16 bits, the upper ESI bits stay.
        assertEquals(Status.CONTINUE, m.exec("67 66 ad"));
        assertEquals(0x5151, cpu.gpr[CpuState.RAX] & 0xffff);
        assertEquals(0x77770000, cpu.gpr[CpuState.RSI]);
    }

    @Test
    void pendingRequestsInterruptALongRepWhichResumes() {
        cpu.gpr[CpuState.RAX] = 0x5a;
        cpu.gpr[CpuState.RDI] = 0x150000;
        cpu.gpr[CpuState.RCX] = 64 * 1024;
        cpu.requests = 1;
        assertEquals(Status.END_BLOCK, m.exec("f3 aa"));
        long left = cpu.gpr[CpuState.RCX];
        assertTrue(left > 0 && left < 64 * 1024, "some progress, not all: " + left);
        assertEquals(0x100000, cpu.rip);
        assertEquals(0x150000 + 64 * 1024 - left, cpu.gpr[CpuState.RDI]);
        cpu.requests = 0;
        assertEquals(Status.CONTINUE, m.exec("f3 aa"));
        assertEquals(0, cpu.gpr[CpuState.RCX]);
        for (int i = 0; i < 64 * 1024; i += 997) {
            assertEquals(0x5a, m.get8(0x150000 + i));
        }
        assertEquals(1, cpu.instructions);
    }

    @Test
    void storeToMmioStopsAfterThatElementForTheExit() {
        // 4-6 MiB: not RAM.
        m.put64(PD + 16, 0x400000 | PTE_P | PTE_RW | PTE_PS);
        m.mmu.tlb().flush();
        cpu.gpr[CpuState.RAX] = 0x41;
        cpu.gpr[CpuState.RDI] = 0x400010;
        cpu.gpr[CpuState.RCX] = 4;
        assertEquals(Status.END_BLOCK, m.exec("f3 aa"));
        assertEquals(3, cpu.gpr[CpuState.RCX]);
        assertEquals(0x400011, cpu.gpr[CpuState.RDI]);
        assertEquals(0x100000, cpu.rip);
        assertNotEquals(0, cpu.pendingExit);
        assertEquals(ExitRequest.Kind.MMIO, cpu.exit.kind);
        assertTrue(cpu.exit.mmioWrite);
        assertEquals(0x400010, cpu.exit.gpa);
        assertEquals(0x41, cpu.exit.data[0]);
    }

    @Test
    void repWithZeroCountDoesNothing() {
        cpu.gpr[CpuState.RCX] = 0;
        cpu.gpr[CpuState.RDI] = 0x999999999L;
        assertEquals(Status.CONTINUE, m.exec("f3 aa"));
        assertEquals(0x999999999L, cpu.gpr[CpuState.RDI]);
        assertEquals(0x100002, cpu.rip);
    }
}
