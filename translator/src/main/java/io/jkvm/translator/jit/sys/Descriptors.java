package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.SegmentRegister;
import io.jkvm.translator.jit.MemoryPort;

/**
 * Segment descriptors in the GDT and LDT (SDM 3.4.5): finding the one a selector names, reading the raw 8 bytes,
 * and the attribute tests the segment-loading instructions make. Descriptor-table accesses are implicit
 * supervisor accesses whatever the CPL.
 *
 * <p>Raw layout: limit 15:0, base 23:0, type (bits 43:40), S (44), DPL (46:45), P (47), limit 19:16, AVL (52),
 * L (53), D/B (54), G (55), base 31:24.
 */
final class Descriptors {
    static final int TI = 4;
    /** Type bits of code/data descriptors. */
    static final int ACCESSED = 1, CODE = 8, CONFORMING = 4, READABLE = 2, WRITABLE = 2;
    /** System descriptor types. */
    static final int LDT = 2, TSS16_AVAILABLE = 1, TSS16_BUSY = 3, TSS_AVAILABLE = 9, TSS_BUSY = 0xb,
            CALL_GATE = 0xc, TASK_GATE = 5, INTERRUPT_GATE = 0xe, TRAP_GATE = 0xf, INTERRUPT_GATE16 = 6,
            TRAP_GATE16 = 7;
    private static final long TYPE_ACCESSED_BIT = 1L << 40;

    private Descriptors() {
    }

    static int type(long d) {
        return (int) (d >>> 40) & 0xf;
    }

    /** S = 0: a system descriptor (LDT, TSS, gate). */
    static boolean isSystem(long d) {
        return (d & (1L << 44)) == 0;
    }

    static int dpl(long d) {
        return (int) (d >>> 45) & 3;
    }

    static boolean present(long d) {
        return (d & (1L << 47)) != 0;
    }

    static boolean isCode(long d) {
        return !isSystem(d) && (type(d) & CODE) != 0;
    }

    static boolean conforming(long d) {
        return isCode(d) && (type(d) & CONFORMING) != 0;
    }

    static boolean readableCode(long d) {
        return isCode(d) && (type(d) & READABLE) != 0;
    }

    static boolean writableData(long d) {
        return !isSystem(d) && (type(d) & (CODE | WRITABLE)) == WRITABLE;
    }

    static boolean longBit(long d) {
        return (d & (1L << 53)) != 0;
    }

    static boolean defaultBig(long d) {
        return (d & (1L << 54)) != 0;
    }

    /** The segment limit in bytes, scaled by G. */
    static long limit(long d) {
        long lim = (d & 0xffff) | ((d >>> 32) & 0xf0000);
        return (d & (1L << 55)) != 0 ? (lim << 12) | 0xfff : lim;
    }

    static boolean isNull(int selector) {
        return (selector & 0xfffc) == 0;
    }

    /**
     * The linear address of the descriptor {@code selector} names, after checking that all {@code bytes} (8, or 16
     * for system descriptors in long mode) lie inside the table. Raises #GP(selector | ext) otherwise, and for
     * LDT selectors when no LDT is loaded.
     */
    static long address(CpuState cpu, int selector, int ext, int bytes) {
        long base;
        long limit;
        if ((selector & TI) != 0) {
            SegmentRegister ldt = cpu.ldtr;
            if (ldt.unusable || isNull(ldt.selector) || !ldt.present) {
                throw Faults.gp(Faults.selectorCode(selector, ext), "LDT selector without an LDT");
            }
            base = ldt.base;
            limit = ldt.limit & 0xffffffffL;
        } else {
            base = cpu.gdtBase;
            limit = cpu.gdtLimit & 0xffffL;
        }
        long offset = selector & 0xfff8;
        if (offset + bytes - 1 > limit) {
            throw Faults.gp(Faults.selectorCode(selector, ext),
                    "selector 0x" + Integer.toHexString(selector) + " beyond its descriptor table");
        }
        long a = base + offset;
        return cpu.longMode() ? a : a & 0xffffffffL;
    }

    /** Reads the 8-byte descriptor {@code selector} names (table-limit checked, see {@link #address}). */
    static long read(CpuState cpu, MemoryPort mem, int selector, int ext) {
        return mem.readSupervisor(address(cpu, selector, ext, 8), 8);
    }

    /** Sets the accessed bit of a code/data descriptor in memory, as the CPU does when it loads one. */
    static long markAccessed(CpuState cpu, MemoryPort mem, int selector, long d) {
        if (isSystem(d) || (d & TYPE_ACCESSED_BIT) != 0) {
            return d;
        }
        long a = address(cpu, selector, 0, 8);
        mem.writeSupervisor(a + 5, 1, (d >>> 40) & 0xff | ACCESSED);
        return d | TYPE_ACCESSED_BIT;
    }

    /** Writes a new type into the descriptor (TSS busy bit, as LTR and task switches do). */
    static void writeType(CpuState cpu, MemoryPort mem, int selector, long d, int type) {
        long a = address(cpu, selector, 0, 8);
        mem.writeSupervisor(a + 5, 1, ((d >>> 40) & 0xf0) | type);
    }
}
