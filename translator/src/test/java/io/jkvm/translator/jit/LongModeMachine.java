package io.jkvm.translator.jit;

import io.jkvm.mmu.GuestMemory;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.SegmentRegister;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A small 64-bit machine for JIT tests: 16 MiB of RAM identity-mapped with 2 MiB pages (page tables at 0x1000),
 * a flat 64-bit code segment at CPL 0, code loaded at {@link #CODE}, stack below {@link #STACK_TOP}.
 */
final class LongModeMachine implements AutoCloseable {
    static final long CODE = 0x100000;
    static final long DATA = 0x300000;
    static final long STACK_TOP = 0x200000;
    static final long RAM = 16 << 20;

    final Arena arena = Arena.ofShared();
    final MemorySegment ram = arena.allocate(RAM, 4096);
    final GuestMemory memory = new GuestMemory(32);
    final Engine engine = new Engine(memory);
    final JitVcpu vcpu;

    LongModeMachine(byte[] code) {
        memory.setUserMemoryRegion(0, 0, 0, RAM, ram);
        // PML4[0] -> PDPT at 0x2000, PDPT[0..3] -> PDs at 0x3000..0x6000: the first 4 GiB identity-mapped with
        // 2 MiB pages (P|RW|US|PS), so that addresses outside RAM reach the MMIO path.
        memory.writeLong(0x1000, 0x2000 | 7);
        for (int d = 0; d < 4; d++) {
            memory.writeLong(0x2000 + 8L * d, (0x3000 + 0x1000L * d) | 7);
        }
        for (int i = 0; i < 2048; i++) {
            memory.writeLong(0x3000 + 8L * i, ((long) i << 21) | 0x87);
        }
        memory.writeBytes(CODE, code);
        vcpu = new JitVcpu(engine);
        CpuState c = vcpu.cpu;
        c.cr0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_ET | CpuState.CR0_NE;
        c.cr4 = CpuState.CR4_PAE | CpuState.CR4_OSFXSR | CpuState.CR4_OSXMMEXCPT;
        c.cr3 = 0x1000;
        c.efer = CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_NXE;
        for (int i = 0; i < 6; i++) {
            SegmentRegister s = c.seg[i];
            s.base = 0;
            s.limit = 0xffffffff;
            s.present = true;
            s.s = true;
            s.dpl = 0;
            s.g = true;
            s.selector = i == CpuState.CS ? 8 : 16;
            s.type = i == CpuState.CS ? 0xb : 3;
            s.l = i == CpuState.CS;
            s.db = i != CpuState.CS;
        }
        c.rip = CODE;
        // A runaway test program stops instead of hanging the build.
        c.budgetLimit = 200_000_000;
        c.gpr[CpuState.RSP] = STACK_TOP;
        vcpu.syncMode();
    }

    /** Assembles Intel-syntax 64-bit code with GNU as (tests using it skip where binutils is absent). */
    static byte[] assemble(String source) {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("jkvm-as");
            java.nio.file.Path s = dir.resolve("t.s");
            java.nio.file.Files.writeString(s, ".intel_syntax noprefix\n.code64\n" + source + "\n");
            run(dir, "as", "--64", "-o", "t.o", "t.s");
            run(dir, "objcopy", "-O", "binary", "t.o", "t.bin");
            return java.nio.file.Files.readAllBytes(dir.resolve("t.bin"));
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("binutils (as, objcopy) not usable: " + e.getMessage());
            throw new AssertionError();
        }
    }

    private static void run(java.nio.file.Path dir, String... cmd) throws java.io.IOException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (p.waitFor() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
            }
        } catch (InterruptedException e) {
            throw new java.io.IOException(e);
        }
    }

    static byte[] bytes(int... b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = (byte) b[i];
        }
        return r;
    }

    @Override
    public void close() {
        arena.close();
    }
}
