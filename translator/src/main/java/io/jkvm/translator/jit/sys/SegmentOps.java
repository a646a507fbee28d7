package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.RegClass;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * Segment registers as operands: MOV to and from a segment register, PUSH/POP of one, LDS/LES/LFS/LGS/LSS, SWAPGS
 * and RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE. Loads go through {@link SegmentLoads} (real-mode base arithmetic or the
 * protected-mode descriptor checks). Loading SS (MOV, POP) blocks interrupts until after the next instruction.
 *
 * <p>The JIT compiles the general-register forms of MOV, PUSH and POP inline; these helpers see the segment forms
 * (and handle the others too, for callers that execute any form here).
 */
final class SegmentOps {
    private SegmentOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.MOV, true, SegmentOps::mov);
        t.add(Mnemonic.PUSH, false, SegmentOps::push);
        t.add(Mnemonic.POP, true, SegmentOps::pop);
        t.add(Mnemonic.LDS, false, (cpu, mem, insn) -> loadFarPointer(cpu, mem, insn, CpuState.DS));
        t.add(Mnemonic.LES, false, (cpu, mem, insn) -> loadFarPointer(cpu, mem, insn, CpuState.ES));
        t.add(Mnemonic.LFS, false, (cpu, mem, insn) -> loadFarPointer(cpu, mem, insn, CpuState.FS));
        t.add(Mnemonic.LGS, false, (cpu, mem, insn) -> loadFarPointer(cpu, mem, insn, CpuState.GS));
        t.add(Mnemonic.LSS, true, (cpu, mem, insn) -> loadFarPointer(cpu, mem, insn, CpuState.SS));
        t.add(Mnemonic.SWAPGS, false, SegmentOps::swapgs);
        t.add(Mnemonic.RDFSBASE, false, (cpu, mem, insn) -> readBase(cpu, insn, CpuState.FS));
        t.add(Mnemonic.RDGSBASE, false, (cpu, mem, insn) -> readBase(cpu, insn, CpuState.GS));
        t.add(Mnemonic.WRFSBASE, false, (cpu, mem, insn) -> writeBase(cpu, insn, CpuState.FS));
        t.add(Mnemonic.WRGSBASE, false, (cpu, mem, insn) -> writeBase(cpu, insn, CpuState.GS));
    }

    private static boolean isSegment(Operand o) {
        return o instanceof Operand.Reg r && r.regClass() == RegClass.SEGMENT;
    }

    /** A segment register number from an operand: 6 and 7 do not exist (#UD). */
    private static int segmentNumber(Operand o) {
        int n = ((Operand.Reg) o).number();
        if (n > CpuState.GS) {
            throw Faults.ud("segment register " + n);
        }
        return n;
    }

    /** Loads {@code seg}; SS additionally opens the one-instruction interrupt shadow. */
    private static void load(CpuState cpu, MemoryPort mem, int seg, int selector) {
        SegmentLoads.load(cpu, mem, seg, selector);
        if (seg == CpuState.SS) {
            cpu.interruptShadow = true;
        }
    }

    private static int mov(CpuState cpu, MemoryPort mem, Instruction insn) {
        Operand dst = insn.operand(0);
        Operand src = insn.operand(1);
        if (isSegment(dst)) {
            int seg = segmentNumber(dst);
            if (seg == CpuState.CS) {
                throw Faults.ud("MOV to CS");
            }
            int selector = (int) Operands.read(cpu, mem, src, 2);
            load(cpu, mem, seg, selector);
        } else if (isSegment(src)) {
            int selector = cpu.seg[segmentNumber(src)].selector;
            // Into memory always 16 bits; into a register zero-extended to the operand size.
            int size = dst instanceof Operand.Mem ? 2 : dst.size();
            Operands.write(cpu, mem, dst, size, selector);
        } else {
            int size = insn.operandSize();
            Operands.write(cpu, mem, dst, size, Operands.read(cpu, mem, src, size));
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /**
     * PUSH: a segment register is pushed as its 16-bit selector, in a slot of the operand size (32-bit slots get a
     * 16-bit store, as recent CPUs and KVM's emulator do; 64-bit slots the zero-extended selector).
     */
    private static int push(CpuState cpu, MemoryPort mem, Instruction insn) {
        Operand o = insn.operand(0);
        Stack s = Stack.current(cpu, mem);
        if (isSegment(o)) {
            int size = Operands.operandSizeAttribute(cpu, insn, true);
            long selector = cpu.seg[segmentNumber(o)].selector;
            if (size == 4) {
                s.skip(-2);
                s.push(selector, 2);
            } else {
                s.push(selector, size);
            }
        } else {
            int size = insn.operandSize();
            s.push(Operands.read(cpu, mem, o, size), size);
        }
        s.commit();
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int pop(CpuState cpu, MemoryPort mem, Instruction insn) {
        Operand o = insn.operand(0);
        Stack s = Stack.current(cpu, mem);
        if (isSegment(o)) {
            int size = Operands.operandSizeAttribute(cpu, insn, true);
            int selector = (int) s.peek(0, 2);
            s.skip(size);
            load(cpu, mem, segmentNumber(o), selector);
            s.commit();
        } else {
            int size = insn.operandSize();
            long v = s.pop(size);
            long oldRsp = cpu.gpr[CpuState.RSP];
            // A memory destination is addressed with RSP already incremented.
            s.commit();
            try {
                Operands.write(cpu, mem, o, size, v);
            } catch (RuntimeException fault) {
                cpu.gpr[CpuState.RSP] = oldRsp;
                throw fault;
            }
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** LDS/LES/LFS/LGS/LSS r, m16:16/32/64: the offset into the register, the selector into the segment. */
    private static int loadFarPointer(CpuState cpu, MemoryPort mem, Instruction insn, int seg) {
        Operand.Reg reg = (Operand.Reg) insn.operand(0);
        Operand.Mem m = (Operand.Mem) insn.operand(1);
        int size = reg.size();
        long a = Operands.linear(cpu, m);
        long offset = mem.read(a, size);
        int selector = (int) mem.read(a + size, 2);
        SegmentLoads.load(cpu, mem, seg, selector);
        Operands.writeReg(cpu, reg, size, offset);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** SWAPGS (64-bit mode, CPL 0): exchanges GS.base and IA32_KERNEL_GS_BASE. */
    private static int swapgs(CpuState cpu, MemoryPort mem, Instruction insn) {
        if (!cpu.is64()) {
            throw Faults.ud("SWAPGS outside 64-bit mode");
        }
        Privilege.requireCpl0(cpu, "SWAPGS");
        long gs = cpu.seg[CpuState.GS].base;
        cpu.seg[CpuState.GS].base = cpu.kernelGsBase;
        cpu.kernelGsBase = gs;
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static void requireFsgsbase(CpuState cpu) {
        if (!cpu.is64() || (cpu.cr4 & CpuState.CR4_FSGSBASE) == 0) {
            throw Faults.ud("RD/WR FS/GS BASE without CR4.FSGSBASE in 64-bit mode");
        }
    }

    private static int readBase(CpuState cpu, Instruction insn, int seg) {
        requireFsgsbase(cpu);
        Operand.Reg r = (Operand.Reg) insn.operand(0);
        Operands.writeReg(cpu, r, r.size(), cpu.seg[seg].base);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int writeBase(CpuState cpu, Instruction insn, int seg) {
        requireFsgsbase(cpu);
        Operand.Reg r = (Operand.Reg) insn.operand(0);
        long base = Operands.readReg(cpu, r, r.size());
        if (!Privilege.canonical(base)) {
            throw Faults.gp0("non-canonical FS/GS base");
        }
        cpu.seg[seg].base = base;
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }
}
