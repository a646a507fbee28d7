package io.jkvm.abi;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** kvm_msrs, kvm_cpuid2 and kvm_msr_list: a header and a flexible array. */
class VariableLengthStructsTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void msrsEntriesFollowTheHeader() {
        KvmMsrs msrs = KvmMsrs.allocate(arena, 3);
        assertEquals(8 + 3 * 16, msrs.segment().byteSize());
        assertEquals(3, msrs.nmsrs());
        assertEquals(3, msrs.capacity());
        msrs.entry(2).index(0xC0000080).data(0x500);
        assertEquals(0xC0000080, msrs.segment().get(JAVA_INT, 8 + 2 * 16));
        assertEquals(0x500, msrs.segment().get(JAVA_LONG, 8 + 2 * 16 + 8));
        assertThrows(IndexOutOfBoundsException.class, () -> msrs.entry(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> msrs.nmsrs(4));
        assertTrue(e.getMessage().contains("allocate"), e.getMessage());
        assertEquals(1, msrs.nmsrs(1).nmsrs(), "a smaller count is fine: KVM then handles the first entries");
    }

    @Test
    void cpuidFindFollowsKvmLookupRules() {
        KvmCpuid2 cpuid = KvmCpuid2.allocate(arena, 3);
        assertEquals(8 + 3 * 40, cpuid.segment().byteSize());
        cpuid.entry(0).function(7).index(0).flags(CpuidFlags.KVM_CPUID_FLAG_SIGNIFCANT_INDEX).ebx(0x10);
        cpuid.entry(1).function(7).index(1).flags(CpuidFlags.KVM_CPUID_FLAG_SIGNIFCANT_INDEX).eax(0x20);
        cpuid.entry(2).function(1).index(0).ecx(0x80000000);
        assertEquals(0x20, cpuid.segment().get(JAVA_INT, 8 + 40 + 12), "entries[1].eax");

        assertEquals(0x20, cpuid.find(7, 1).eax());
        assertEquals(0x10, cpuid.find(7, 0).ebx());
        assertNull(cpuid.find(7, 2), "leaf 7 has index-significant entries only for subleaves 0 and 1");
        assertEquals(0x80000000, cpuid.find(1, 5).ecx(), "leaf 1 ignores the subleaf");
        assertNull(cpuid.find(0x80000000, 0));
        cpuid.nent(2);
        assertNull(cpuid.find(1, 0), "entries past nent do not count");
    }

    @Test
    void cpuidFindIgnoresAKernelCountBeyondCapacity() {
        KvmCpuid2 cpuid = KvmCpuid2.allocate(arena, 1);
        cpuid.segment().set(JAVA_INT, 0, 1000); // KVM reports the needed count with E2BIG
        assertNull(cpuid.find(5, 0));
    }

    @Test
    void msrListIndices() {
        KvmMsrList list = KvmMsrList.allocate(arena, 5);
        assertEquals(4 + 5 * 4, list.segment().byteSize());
        list.indices(4, 0x174);
        assertEquals(0x174, list.segment().get(JAVA_INT, 4 + 4 * 4));
        assertEquals(0x174, list.indices(4));
        assertThrows(IndexOutOfBoundsException.class, () -> list.indices(5));
    }

    @Test
    void viewsOverKernelFilledBuffersUseTheSegmentSize() {
        var segment = arena.allocate(KvmCpuid2.byteSize(2), 8);
        KvmCpuid2 cpuid = new KvmCpuid2(segment);
        assertEquals(2, cpuid.capacity());
        assertSame(segment, cpuid.segment());
        assertEquals(0, KvmCpuid2.allocate(arena).capacity());
        assertThrows(IllegalArgumentException.class, () -> KvmMsrs.allocate(arena, -1));
    }
}
