package io.jkvm.runtime.jit;

import io.jkvm.translator.cpu.VcpuConfig.CpuidEntry;

import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The CPUID leaves the JIT backend offers ({@code KVM_GET_SUPPORTED_CPUID}): a 64-bit CPU with exactly the features
 * jkvm executes — the x86-64 integer set with CMOV, CX8, POPCNT, LZCNT, LAHF/SAHF in long mode, SYSCALL, NX, PAE,
 * PSE, PGE, PAT, 1 GiB pages, TSC, MSR, CLFLUSH, FXSR, SSE and SSE2, and the hypervisor bit. x87 arithmetic, MMX, SSE3 and later
 * are not executed, so they are not advertised (guests compiled for the x86-64 baseline use SSE2 for floating point).
 */
final class CpuidModel {
    // CPUID.1:EDX
    private static final int PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5, PAE = 1 << 6, CX8 = 1 << 8, PGE = 1 << 13,
            CMOV = 1 << 15, PAT = 1 << 16, CLFSH = 1 << 19, FXSR = 1 << 24, SSE = 1 << 25, SSE2 = 1 << 26;
    // CPUID.1:ECX
    private static final int POPCNT = 1 << 23, HYPERVISOR = 1 << 31;
    // CPUID.80000001:ECX / EDX
    private static final int LAHF_LM = 1, ABM = 1 << 5;
    private static final int SYSCALL = 1 << 11, NX = 1 << 20, PAGE1GB = 1 << 26, LM = 1 << 29;

    private CpuidModel() {
    }

    static List<CpuidEntry> supported() {
        int[] vendor = words("GenuineIntel");
        return List.of(
                new CpuidEntry(0, 0, 0, 7, vendor[0], vendor[2], vendor[1]),
                // Family 6, model 0x3a, stepping 9; CLFLUSH line size 8 quadwords (64 bytes).
                new CpuidEntry(1, 0, 0, 0x000306a9, 8 << 8, POPCNT | HYPERVISOR,
                        PSE | TSC | MSR | PAE | CX8 | PGE | CMOV | PAT | CLFSH | FXSR | SSE | SSE2),
                new CpuidEntry(7, 0, CpuidEntry.SIGNIFICANT_INDEX, 0, 0, 0, 0),
                new CpuidEntry(0x80000000, 0, 0, 0x80000008, 0, 0, 0),
                new CpuidEntry(0x80000001, 0, 0, 0, 0, LAHF_LM | ABM, SYSCALL | NX | PAGE1GB | LM),
                // 48 physical and 48 linear address bits.
                new CpuidEntry(0x80000008, 0, 0, 0x3030, 0, 0, 0));
    }

    private static int[] words(String s) {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII)).order(ByteOrder.LITTLE_ENDIAN);
        return new int[]{b.getInt(), b.getInt(), b.getInt()};
    }
}
