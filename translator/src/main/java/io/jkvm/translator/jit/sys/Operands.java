package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.Prefix;
import io.jkvm.translator.decoder.RegClass;
import io.jkvm.translator.jit.MemoryPort;

/**
 * Operand access for instructions written in Java: the same rules {@code Gen} compiles into bytecode (partial
 * register writes, address-size wrap, which segment bases apply in 64-bit mode), for code that runs on the
 * {@link CpuState} directly.
 */
final class Operands {
    private Operands() {
    }

    // ---------------------------------------------------------------- registers

    /** Reads register operand {@code r} zero-extended from {@code size} bytes (AH..BH included). */
    public static long readReg(CpuState cpu, Operand.Reg r, int size) {
        if (r.regClass() == RegClass.GPR8_HIGH) {
            return (cpu.gpr[r.number()] >>> 8) & 0xff;
        }
        if (r.regClass() != RegClass.GPR) {
            throw new IllegalArgumentException("not a general register: " + r);
        }
        return cpu.gpr[r.number()] & Flags.mask(size);
    }

    /** Writes GPR {@code n} with x86's partial-register rules: 8/16-bit writes merge, 32-bit writes zero-extend. */
    public static void writeGpr(CpuState cpu, int n, int size, long v) {
        switch (size) {
            case 8 -> cpu.gpr[n] = v;
            case 4 -> cpu.gpr[n] = v & 0xffffffffL;
            default -> {
                long m = Flags.mask(size);
                cpu.gpr[n] = (cpu.gpr[n] & ~m) | (v & m);
            }
        }
    }

    /** Writes register operand {@code r} (AH..BH included). */
    public static void writeReg(CpuState cpu, Operand.Reg r, int size, long v) {
        if (r.regClass() == RegClass.GPR8_HIGH) {
            int n = r.number();
            cpu.gpr[n] = (cpu.gpr[n] & ~0xff00L) | ((v & 0xff) << 8);
            return;
        }
        if (r.regClass() != RegClass.GPR) {
            throw new IllegalArgumentException("not a general register: " + r);
        }
        writeGpr(cpu, r.number(), size, v);
    }

    // ---------------------------------------------------------------- memory

    /** The effective address (offset in the segment) of {@code m}, wrapped to its address size. */
    public static long effectiveAddress(CpuState cpu, Operand.Mem m) {
        long ea;
        if (m.base() == Operand.Mem.RIP) {
            ea = m.displacement();
        } else {
            ea = m.displacement();
            if (m.base() != Operand.Mem.NONE) {
                ea += cpu.gpr[m.base()];
            }
            if (m.index() != Operand.Mem.NONE) {
                ea += cpu.gpr[m.index()] * m.scale();
            }
        }
        return ea & Flags.mask(m.addressSize());
    }

    /** The linear address of {@code m}. */
    public static long linear(CpuState cpu, Operand.Mem m) {
        return linear(cpu, m.segment().ordinal(), effectiveAddress(cpu, m));
    }

    /**
     * The linear address of {@code offset} in segment {@code seg}: in 64-bit mode only FS and GS have a base;
     * elsewhere every segment has one and linear addresses wrap at 4 GiB.
     */
    public static long linear(CpuState cpu, int seg, long offset) {
        if (cpu.is64()) {
            return seg == CpuState.FS || seg == CpuState.GS ? offset + cpu.seg[seg].base : offset;
        }
        return (cpu.seg[seg].base + offset) & 0xffffffffL;
    }

    /** Reads {@code size} (1, 2, 4, 8) bytes of operand {@code o}: a register, memory or an immediate. */
    public static long read(CpuState cpu, MemoryPort mem, Operand o, int size) {
        return switch (o) {
            case Operand.Reg r -> readReg(cpu, r, size);
            case Operand.Mem m -> mem.read(linear(cpu, m), size);
            case Operand.Imm i -> i.value() & Flags.mask(size);
            default -> throw new IllegalArgumentException("cannot read " + o);
        };
    }

    /** Reads operand {@code o} as the destination of a read-modify-write (memory checked for writing). */
    public static long readForUpdate(CpuState cpu, MemoryPort mem, Operand o, int size) {
        if (o instanceof Operand.Mem m) {
            return mem.readForUpdate(linear(cpu, m), size);
        }
        return read(cpu, mem, o, size);
    }

    /** Writes {@code size} bytes of operand {@code o}. */
    public static void write(CpuState cpu, MemoryPort mem, Operand o, int size, long v) {
        switch (o) {
            case Operand.Reg r -> writeReg(cpu, r, size, v);
            case Operand.Mem m -> mem.write(linear(cpu, m), size, v);
            default -> throw new IllegalArgumentException("cannot write " + o);
        }
    }

    // ---------------------------------------------------------------- instruction flow

    /** Where execution continues after {@code insn}: its end, wrapped to the code size as IP/EIP wrap. */
    public static long nextRip(CpuState cpu, Instruction insn) {
        long next = insn.nextAddress();
        return cpu.is64() ? next : next & Flags.mask(cpu.codeSize());
    }

    /** Completes {@code insn}: RIP moves past it and it counts as retired. */
    public static void retire(CpuState cpu, Instruction insn) {
        cpu.rip = nextRip(cpu, insn);
        cpu.instructions++;
    }

    /**
     * The operand-size attribute (2, 4 or 8) for instructions whose operands do not show it, such as PUSH/POP of
     * a segment register (the decoder reports the 2-byte register there). {@code default64}: the instruction
     * defaults to 64 bits in 64-bit mode (PUSH, POP), else REX.W selects 64 bits.
     */
    public static int operandSizeAttribute(CpuState cpu, Instruction insn, boolean default64) {
        boolean o16 = insn.has(Prefix.OPERAND_SIZE);
        if (cpu.is64()) {
            if (insn.has(Prefix.REX_W) || (default64 && !o16)) {
                return 8;
            }
            return o16 ? 2 : 4;
        }
        int size = cpu.codeSize();
        return o16 ? 6 - size : size;
    }
}
