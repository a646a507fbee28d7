package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.jit.MemoryPort;

/**
 * A stack being pushed or popped by a system instruction, with the stack pointer kept here until {@link #commit()}:
 * instructions that push or pop several values (far calls, IRET, interrupt delivery, PUSHA) fault with RSP
 * untouched, as the architecture requires.
 *
 * <p>The stack-address size is 8 in 64-bit mode, else SS.B selects 4 or 2 (always 2 in real mode, as the
 * translator assumes). Pushes to a stack the CPU switches to on a privilege change are supervisor accesses.
 */
final class Stack {
    private final CpuState cpu;
    private final MemoryPort mem;
    /** Stack-address size in bytes: 2, 4 or 8. */
    final int width;
    private final long base;
    private final boolean supervisor;
    /** The stack pointer, wrapped to {@link #width}. */
    long sp;

    private Stack(CpuState cpu, MemoryPort mem, int width, long base, long sp, boolean supervisor) {
        this.cpu = cpu;
        this.mem = mem;
        this.width = width;
        this.base = base;
        this.sp = sp & Flags.mask(width);
        this.supervisor = supervisor;
    }

    /** The current stack, SS:RSP, accessed with the current privilege. */
    static Stack current(CpuState cpu, MemoryPort mem) {
        int width = widthOf(cpu);
        long base = cpu.is64() ? 0 : cpu.seg[CpuState.SS].base;
        return new Stack(cpu, mem, width, base, cpu.gpr[CpuState.RSP], false);
    }

    /** A stack the CPU switches to (from the TSS, or a flat 64-bit stack), written with supervisor privilege. */
    static Stack switchedTo(CpuState cpu, MemoryPort mem, int width, long base, long sp) {
        return new Stack(cpu, mem, width, base, sp, true);
    }

    /** The flat 64-bit stack long-mode event delivery uses, accessed at the handler's privilege. */
    static Stack flat64(CpuState cpu, MemoryPort mem, long sp, boolean supervisor) {
        return new Stack(cpu, mem, 8, 0, sp, supervisor);
    }

    /** The stack-address size of the current mode. */
    static int widthOf(CpuState cpu) {
        if (cpu.is64()) {
            return 8;
        }
        return !Privilege.realMode(cpu) && cpu.seg[CpuState.SS].db ? 4 : 2;
    }

    private long address(long offset) {
        long a = (offset & Flags.mask(width)) + base;
        return width == 8 ? a : a & 0xffffffffL;
    }

    void push(long value, int size) {
        long next = (sp - size) & Flags.mask(width);
        long a = address(next);
        if (supervisor) {
            mem.writeSupervisor(a, size, value);
        } else {
            mem.write(a, size, value);
        }
        sp = next;
    }

    long pop(int size) {
        long v = peek(0, size);
        sp = (sp + size) & Flags.mask(width);
        return v;
    }

    /** Reads {@code size} bytes at SP + {@code offset} without popping. */
    long peek(long offset, int size) {
        long a = address(sp + offset);
        return supervisor ? mem.readSupervisor(a, size) : mem.read(a, size);
    }

    void skip(long bytes) {
        sp = (sp + bytes) & Flags.mask(width);
    }

    /** Writes the stack pointer back to RSP (only its low {@link #width} bytes change below 64 bits). */
    void commit() {
        Operands.writeGpr(cpu, CpuState.RSP, width, sp);
    }
}
