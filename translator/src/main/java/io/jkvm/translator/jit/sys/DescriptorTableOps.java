package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.SegmentRegister;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * The descriptor-table registers: LGDT/LIDT/SGDT/SIDT (the pseudo-descriptor: 16-bit limit, then a 24-, 32- or
 * 64-bit base), LLDT/SLDT and LTR/STR. In long mode LDT and TSS descriptors are 16 bytes, the upper half holding
 * base bits 63:32 and a type field that must be zero. LTR marks the TSS busy in the GDT, as the CPU does.
 */
final class DescriptorTableOps {
    private DescriptorTableOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.LGDT, false, (cpu, mem, insn) -> loadTable(cpu, mem, insn, true));
        t.add(Mnemonic.LIDT, false, (cpu, mem, insn) -> loadTable(cpu, mem, insn, false));
        t.add(Mnemonic.SGDT, false, (cpu, mem, insn) -> storeTable(cpu, mem, insn, true));
        t.add(Mnemonic.SIDT, false, (cpu, mem, insn) -> storeTable(cpu, mem, insn, false));
        t.add(Mnemonic.LLDT, false, DescriptorTableOps::lldt);
        t.add(Mnemonic.SLDT, false, (cpu, mem, insn) -> storeSelector(cpu, mem, insn, cpu.ldtr, "SLDT"));
        t.add(Mnemonic.LTR, false, DescriptorTableOps::ltr);
        t.add(Mnemonic.STR, false, (cpu, mem, insn) -> storeSelector(cpu, mem, insn, cpu.tr, "STR"));
    }

    /** Bytes of base in the pseudo-descriptor: 8 in 64-bit mode, else 4 (of which 3 count at operand size 16). */
    private static int baseBytes(CpuState cpu) {
        return cpu.is64() ? 8 : 4;
    }

    private static int loadTable(CpuState cpu, MemoryPort mem, Instruction insn, boolean gdt) {
        if (Privilege.v86(cpu)) {
            throw Faults.gp0((gdt ? "LGDT" : "LIDT") + " in virtual-8086 mode");
        }
        Privilege.requireCpl0(cpu, gdt ? "LGDT" : "LIDT");
        long a = Operands.linear(cpu, (Operand.Mem) insn.operand(0));
        int limit = (int) mem.read(a, 2);
        long base = mem.read(a + 2, baseBytes(cpu));
        if (cpu.is64()) {
            if (!Privilege.canonical(base)) {
                throw Faults.gp0("non-canonical descriptor table base");
            }
        } else if (Operands.operandSizeAttribute(cpu, insn, false) == 2) {
            base &= 0xffffff;
        }
        if (gdt) {
            cpu.gdtBase = base;
            cpu.gdtLimit = limit;
        } else {
            cpu.idtBase = base;
            cpu.idtLimit = limit;
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int storeTable(CpuState cpu, MemoryPort mem, Instruction insn, boolean gdt) {
        Privilege.checkUmip(cpu, gdt ? "SGDT" : "SIDT");
        long a = Operands.linear(cpu, (Operand.Mem) insn.operand(0));
        long base = gdt ? cpu.gdtBase : cpu.idtBase;
        int limit = gdt ? cpu.gdtLimit : cpu.idtLimit;
        if (!cpu.is64() && Operands.operandSizeAttribute(cpu, insn, false) == 2) {
            // 16-bit operand size: a 24-bit base and a zero sixth byte.
            base &= 0xffffff;
        }
        // Write the farthest byte first so a fault on the second page leaves nothing half written.
        int n = baseBytes(cpu);
        mem.write(a + 2, n, base);
        mem.write(a, 2, limit);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** SLDT/STR: the selector into memory (16 bits) or a register (zero-extended to the operand size). */
    private static int storeSelector(CpuState cpu, MemoryPort mem, Instruction insn, SegmentRegister r,
                                     String what) {
        Privilege.requireProtectedMode(cpu, what);
        Privilege.checkUmip(cpu, what);
        Operand dst = insn.operand(0);
        Operands.write(cpu, mem, dst, dst instanceof Operand.Mem ? 2 : dst.size(), r.selector);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /**
     * Reads a system descriptor for LLDT/LTR from the GDT (the selector must not name the LDT), 16 bytes in long
     * mode. Checks the type, presence and, in long mode, the upper half. Returns {low, high}.
     */
    private static long[] systemDescriptor(CpuState cpu, MemoryPort mem, int selector, String what,
                                           int... types) {
        int code = Faults.selectorCode(selector, 0);
        if ((selector & Descriptors.TI) != 0) {
            throw Faults.gp(code, what + " of a selector in the LDT");
        }
        boolean wide = cpu.longMode();
        long a = Descriptors.address(cpu, selector, 0, wide ? 16 : 8);
        long lo = mem.readSupervisor(a, 8);
        long hi = wide ? mem.readSupervisor(a + 8, 8) : 0;
        int type = Descriptors.type(lo);
        boolean typeOk = false;
        for (int t : types) {
            typeOk |= type == t;
        }
        if (!Descriptors.isSystem(lo) || !typeOk) {
            throw Faults.gp(code, what + " of a descriptor of type " + type);
        }
        if (wide) {
            long base = (hi << 32) | ((lo >>> 16) & 0xffffffL) | ((lo >>> 32) & 0xff000000L);
            if (((hi >>> 40) & 0x1f) != 0 || !Privilege.canonical(base)) {
                throw Faults.gp(code, what + ": bad upper half of a 16-byte descriptor");
            }
        }
        if (!Descriptors.present(lo)) {
            throw Faults.np(code, what + " of a descriptor that is not present");
        }
        return new long[]{lo, hi};
    }

    private static int lldt(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireProtectedMode(cpu, "LLDT");
        Privilege.requireCpl0(cpu, "LLDT");
        int selector = (int) Operands.read(cpu, mem, insn.operand(0), 2);
        if (Descriptors.isNull(selector)) {
            // A null LDT is legal: later LDT references fault.
            cpu.ldtr.loadNull(selector);
        } else {
            long[] d = systemDescriptor(cpu, mem, selector, "LLDT", Descriptors.LDT);
            cpu.ldtr.loadDescriptor(selector, d[0], d[1]);
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int ltr(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireProtectedMode(cpu, "LTR");
        Privilege.requireCpl0(cpu, "LTR");
        int selector = (int) Operands.read(cpu, mem, insn.operand(0), 2);
        if (Descriptors.isNull(selector)) {
            throw Faults.gp0("LTR of a null selector");
        }
        long[] d = cpu.longMode()
                ? systemDescriptor(cpu, mem, selector, "LTR", Descriptors.TSS_AVAILABLE)
                : systemDescriptor(cpu, mem, selector, "LTR", Descriptors.TSS_AVAILABLE,
                Descriptors.TSS16_AVAILABLE);
        int busy = Descriptors.type(d[0]) | 2;
        Descriptors.writeType(cpu, mem, selector, d[0], busy);
        long lo = (d[0] & ~(0xfL << 40)) | ((long) busy << 40);
        cpu.tr.loadDescriptor(selector, lo, d[1]);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }
}
