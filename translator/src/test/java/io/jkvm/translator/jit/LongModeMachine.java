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
        // PML4[0] -> PDPT at 0x2000, PDPT[0] -> PD at 0x3000, PD[i] = 2 MiB pages (P|RW|US|PS).
        memory.writeLong(0x1000, 0x2000 | 7);
        memory.writeLong(0x2000, 0x3000 | 7);
        for (int i = 0; i < 8; i++) {
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
        c.gpr[CpuState.RSP] = STACK_TOP;
        vcpu.syncMode();
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
