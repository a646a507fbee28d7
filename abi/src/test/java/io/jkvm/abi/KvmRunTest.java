package io.jkvm.abi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The kvm_run views against the byte offsets of linux/kvm.h (x86-64), spelled out here so that they are checked
 * even where gcc is missing: the exit union starts at 32, after request_interrupt_window, immediate_exit,
 * padding1[6], exit_reason, ready_for_interrupt_injection, if_flag, flags, cr8 and apic_base.
 */
class KvmRunTest {
    private final Arena arena = Arena.ofConfined();
    private final KvmRun run = KvmRun.allocate(arena);
    private final MemorySegment area = run.segment();

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void sizesFollowKvm() {
        assertEquals(2352, KvmRun.LAYOUT.byteSize()); // sizeof(struct kvm_run) on x86-64
        assertEquals(32, KvmRun.EXIT_UNION_OFFSET);
        assertEquals(3 * 4096, area.byteSize());
        assertEquals(0, area.address() % 4096, "the area is page aligned like an mmap");
        assertEquals(4096, KvmRun.PIO_DATA_OFFSET);
    }

    @Test
    void headerFields() {
        run.immediateExit(1).exitReason(ExitReason.IO.number()).ifFlag(1).flags(RunFlags.KVM_RUN_X86_SMM)
                .cr8(0xF).apicBase(0xFEE00900L).kvmDirtyRegs(3);
        assertEquals(1, area.get(JAVA_BYTE, 1));
        assertEquals(2, area.get(JAVA_INT, 8));
        assertEquals(1, area.get(JAVA_BYTE, 13));
        assertEquals(1, area.get(JAVA_SHORT, 14));
        assertEquals(0xF, area.get(JAVA_LONG, 16));
        assertEquals(0xFEE00900L, area.get(JAVA_LONG, 24));
        assertEquals(3, area.get(JAVA_LONG, 296));
    }

    @Test
    void exitMapsKnownUnknownAndJkvmReasons() {
        area.set(JAVA_INT, 8, 6);
        assertSame(ExitReason.MMIO, run.exit());
        area.set(JAVA_INT, 8, 0x1234);
        assertSame(ExitReason.UNRECOGNIZED, run.exit());
        assertEquals(0x1234, run.exitReason(), "the raw reason stays readable");
        run.exit(ExitReason.JKVM_CPUID);
        assertEquals(0x4A4B0001, area.get(JAVA_INT, 8));
        assertSame(ExitReason.JKVM_CPUID, run.exit());
        assertThrows(IllegalArgumentException.class, () -> run.exit(ExitReason.UNRECOGNIZED));
    }

    @Test
    void ioDataIsTheSliceAtDataOffsetOfTheWholeArea() {
        // As KVM reports "outsw" of three words to port 0x3f8: direction, size, port, count, data_offset.
        area.set(JAVA_BYTE, 32, (byte) IoDirection.KVM_EXIT_IO_OUT);
        area.set(JAVA_BYTE, 33, (byte) 2);
        area.set(JAVA_SHORT, 34, (short) 0x3f8);
        area.set(JAVA_INT, 36, 3);
        area.set(JAVA_LONG, 40, 4096);
        area.asSlice(4096, 6).copyFrom(MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6}));

        KvmRun.Io io = run.io();
        assertEquals(IoDirection.KVM_EXIT_IO_OUT, io.direction());
        assertEquals(2, io.size());
        assertEquals(0x3f8, io.port());
        assertEquals(3, io.count());
        MemorySegment data = io.data();
        assertEquals(6, data.byteSize());
        assertEquals(area.address() + 4096, data.address());
        assertEquals(0x0201, data.get(JAVA_SHORT, 0));

        io.data().set(JAVA_BYTE, 5, (byte) 0x7F); // an IN writes through the same slice
        assertEquals(0x7F, area.get(JAVA_BYTE, 4096 + 5));
    }

    @Test
    void ioDataOutsideTheAreaSaysWhatToWrap() {
        try (Arena a = Arena.ofConfined()) {
            // Only sizeof(struct kvm_run), not the whole mmap area: the PIO page is out of reach.
            KvmRun small = new KvmRun(a.allocate(KvmRun.LAYOUT));
            small.io().size(1).count(1).dataOffset(4096);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> small.io().data());
            assertTrue(e.getMessage().contains("KVM_GET_VCPU_MMAP_SIZE"), e.getMessage());
        }
        run.io().size(4).count(-1).dataOffset(4096); // count is a __u32: 4 GiB of data cannot fit
        assertThrows(IllegalStateException.class, () -> run.io().data());
    }

    @Test
    void mmioFields() {
        run.mmio().physAddr(0xFEE00300L).len(4).isWrite(1);
        run.mmio().data().set(JAVA_INT, 0, 0xCAFEBABE);
        assertEquals(0xFEE00300L, area.get(JAVA_LONG, 32));
        assertEquals(0xCAFEBABE, area.get(JAVA_INT, 40));
        assertEquals(8, run.mmio().data().byteSize());
        assertEquals(4, area.get(JAVA_INT, 48));
        assertEquals(1, area.get(JAVA_BYTE, 52));
    }

    @Test
    void hypercallFlagsOverlayLongmode() {
        run.hypercall().nr(12).args(0, 0x1000).args(5, 6).ret(-1);
        assertEquals(12, area.get(JAVA_LONG, 32));
        assertEquals(0x1000, area.get(JAVA_LONG, 40));
        assertEquals(6, area.get(JAVA_LONG, 80));
        assertEquals(-1, area.get(JAVA_LONG, 88));
        run.hypercall().flags(1); // KVM_EXIT_HYPERCALL_LONG_MODE of newer headers
        assertEquals(1, run.hypercall().longmode(), "6.1's longmode is the low half of flags");
        assertEquals(1, area.get(JAVA_LONG, 96));
    }

    @Test
    void debugExceptionAndFailEntry() {
        run.debug().exception(ExceptionVector.DB_VECTOR).pc(0x100000).dr6(0xFFFF4FF0L).dr7(0x400);
        assertEquals(1, area.get(JAVA_INT, 32));
        assertEquals(0x100000, area.get(JAVA_LONG, 40));
        assertEquals(0xFFFF4FF0L, area.get(JAVA_LONG, 48));
        assertEquals(0x400, area.get(JAVA_LONG, 56));

        run.ex().exception(ExceptionVector.GP_VECTOR).errorCode(0x10);
        assertEquals(13, area.get(JAVA_INT, 32));
        assertEquals(0x10, area.get(JAVA_INT, 36));

        run.failEntry().hardwareEntryFailureReason(0x80000021L).cpu(1);
        assertEquals(0x80000021L, area.get(JAVA_LONG, 32));
        assertEquals(1, area.get(JAVA_INT, 40));
        assertEquals(0x80000021L, run.hw().hardwareExitReason(), "hw and fail_entry share the union");
    }

    @Test
    void msrSystemEventAndInternal() {
        run.msr().error(1).reason(MsrExitReason.KVM_MSR_EXIT_REASON_FILTER).index(0xC0000080).data(0x500);
        assertEquals(1, area.get(JAVA_BYTE, 32));
        assertEquals(4, area.get(JAVA_INT, 40));
        assertEquals(0xC0000080, area.get(JAVA_INT, 44));
        assertEquals(0x500, area.get(JAVA_LONG, 48));

        area.fill((byte) 0);
        run.systemEvent().type(SystemEventType.KVM_SYSTEM_EVENT_RESET).ndata(1).data(15, 9);
        run.systemEvent().flags(7);
        assertEquals(2, area.get(JAVA_INT, 32));
        assertEquals(1, area.get(JAVA_INT, 36));
        assertEquals(7, run.systemEvent().data(0), "flags is data[0]");
        assertEquals(9, area.get(JAVA_LONG, 40 + 15 * 8));

        run.internal().suberror(InternalErrorSuberror.KVM_INTERNAL_ERROR_EMULATION).ndata(2).data(1, 0x90);
        assertEquals(1, area.get(JAVA_INT, 32));
        assertEquals(2, area.get(JAVA_INT, 36));
        assertEquals(0x90, area.get(JAVA_LONG, 48));
        assertThrows(IndexOutOfBoundsException.class, () -> run.internal().data(16));
    }

    @Test
    void jkvmCpuidPayloadSitsOnTheExitUnion() {
        run.cpuid().function(0x80000001).index(0).eax(1).ebx(2).ecx(3).edx(4);
        int[] expected = {0x80000001, 0, 1, 2, 3, 4};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], area.get(JAVA_INT, 32 + 4L * i), "u32 #" + i);
        }
        assertEquals(24, KvmRun.JKVM_CPUID_LAYOUT.byteSize());
    }

    @Test
    void refusesAreasSmallerThanTheStruct() {
        try (Arena a = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new KvmRun(a.allocate(1024, 8)));
            assertTrue(e.getMessage().contains("2352"), e.getMessage());
        }
    }
}
