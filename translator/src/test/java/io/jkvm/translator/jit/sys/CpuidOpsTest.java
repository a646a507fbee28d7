package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.VcpuConfig;
import io.jkvm.translator.cpu.VcpuConfig.CpuidEntry;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** CPUID answers by KVM's rules ({@code kvm_cpuid}), and the jkvm CPUID exit. */
class CpuidOpsTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;
    private final VcpuConfig config = cpu.config;

    @AfterEach
    void close() {
        m.close();
    }

    private static CpuidEntry leaf(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
        return new CpuidEntry(function, index, flags, eax, ebx, ecx, edx);
    }

    /** Max basic leaf 0xd (vendor GenuineIntel), leaf 0xd with subleaves, leaf 0xb with subleaf 1, extended to 0x80000004. */
    private void table() {
        config.cpuid = List.of(
                leaf(0, 0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69),
                leaf(4, 0, 1, 0x44, 0x4b, 0x4c, 0x4d),
                leaf(0xb, 0, 1, 1, 2, 0x100, 7),
                leaf(0xb, 1, 1, 4, 8, 0x201, 7),
                leaf(0xd, 0, 1, 0xd0, 0xd1, 0xd2, 0xd3),
                leaf(0xd, 1, 1, 0xe0, 0xe1, 0xe2, 0xe3),
                leaf(0x80000000, 0, 0, 0x80000004, 0, 0, 0),
                leaf(0x80000001, 0, 0, 0x81, 0x82, 0x83, 0x84));
    }

    private void assertCpuid(int function, int index, int eax, int ebx, int ecx, int edx) {
        assertArrayEquals(new int[]{eax, ebx, ecx, edx}, CpuidOps.lookup(config, function, index),
                "CPUID(0x" + Integer.toHexString(function) + ", " + index + ")");
    }

    @Test
    void exactEntriesAnswerAndIndexMattersOnlyWhenSignificant() {
        table();
        assertCpuid(0x80000001, 5, 0x81, 0x82, 0x83, 0x84);
        assertCpuid(0xd, 1, 0xe0, 0xe1, 0xe2, 0xe3);
    }

    @Test
    void leafInRangeButMissingIsZeros() {
        table();
        assertCpuid(5, 0, 0, 0, 0, 0);
        assertCpuid(0x80000003, 0, 0, 0, 0, 0);
        // A missing subleaf of an indexed leaf in range.
        assertCpuid(4, 3, 0, 0, 0, 0);
    }

    @Test
    void leafBeyondItsClassMaximumAnswersWithTheMaxBasicLeafAndTheOriginalIndex() {
        table();
        assertCpuid(0x20, 1, 0xe0, 0xe1, 0xe2, 0xe3);
        assertCpuid(0x80000008, 0, 0xd0, 0xd1, 0xd2, 0xd3);
        // No hypervisor class at all: also the max basic leaf.
        assertCpuid(0x40000000, 1, 0xe0, 0xe1, 0xe2, 0xe3);
        assertCpuid(0xc0000001, 0, 0xd0, 0xd1, 0xd2, 0xd3);
        // Out of range and the max basic leaf lacks that subleaf: zeros.
        assertCpuid(0x30, 7, 0, 0, 0, 0);
    }

    @Test
    void amdVendorsGetZerosInsteadOfTheFallback() {
        config.cpuid = List.of(leaf(0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),
                leaf(0xd, 0, 0, 1, 2, 3, 4));
        assertCpuid(0x20, 0, 0, 0, 0, 0);
    }

    @Test
    void topologyLeafPassesClAndTheX2apicIdForUndefinedSubleaves() {
        table();
        assertCpuid(0xb, 5, 0, 0, 5, 7);
    }

    @Test
    void emptyTableAnswersZeros() {
        config.cpuid = List.of();
        assertCpuid(0, 0, 0, 0, 0, 0);
    }

    @Test
    void cpuidInstructionWrites32BitResults() {
        table();
        m.longMode(0);
        cpu.gpr[CpuState.RAX] = 0xffffffff_80000001L;
        cpu.gpr[CpuState.RBX] = -1L;
        cpu.gpr[CpuState.RCX] = 0;
        cpu.gpr[CpuState.RDX] = -1L;
        assertEquals(Status.CONTINUE, m.exec("0f a2"));
        assertEquals(0x81, cpu.gpr[CpuState.RAX]);
        assertEquals(0x82, cpu.gpr[CpuState.RBX]);
        assertEquals(0x83, cpu.gpr[CpuState.RCX]);
        assertEquals(0x84, cpu.gpr[CpuState.RDX]);
        assertEquals(0x100002, cpu.rip);
    }

    @Test
    void cpuidExitLeavesRipAndCompletesWithUserspaceValues() {
        m.longMode(3);
        config.cpuidExit = true;
        cpu.gpr[CpuState.RAX] = 0x4000_0000;
        cpu.gpr[CpuState.RCX] = 3;
        assertEquals(Status.EXIT, m.exec("0f a2"));
        assertEquals(ExitRequest.Kind.CPUID, cpu.exit.kind);
        assertEquals(0x4000_0000, cpu.exit.cpuidFunction);
        assertEquals(3, cpu.exit.cpuidIndex);
        assertEquals(0x100000, cpu.rip);
        cpu.exit.cpuidEax = 0x4000_0001;
        cpu.exit.cpuidEbx = 0x4b4d564b;
        cpu.exit.cpuidEcx = 0x564b4d56;
        cpu.exit.cpuidEdx = -1;
        assertTrue(ExitCompletion.complete(cpu, m.mem, ExitRequest.Kind.CPUID));
        assertEquals(0x4000_0001, cpu.gpr[CpuState.RAX]);
        assertEquals(0x4b4d564b, cpu.gpr[CpuState.RBX]);
        assertEquals(0xffffffffL, cpu.gpr[CpuState.RDX]);
        assertEquals(0x100002, cpu.rip);
    }
}
