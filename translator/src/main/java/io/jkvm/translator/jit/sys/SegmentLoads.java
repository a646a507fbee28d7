package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.SegmentRegister;
import io.jkvm.translator.jit.MemoryPort;

/**
 * Loading a data or stack segment register (MOV, POP, LDS/LES/LFS/LGS/LSS): the checks of the SDM's MOV pseudo-code
 * in protected mode, {@code base = selector << 4} in real and virtual-8086 mode. Code segments are loaded only by
 * far transfers ({@link FarTransfers}).
 */
final class SegmentLoads {
    private SegmentLoads() {
    }

    /**
     * Loads segment register {@code seg} (not CS) with {@code selector}; raises the architectural fault with nothing
     * changed when the selector may not be loaded. The caller commits its other changes after this returns.
     */
    static void load(CpuState cpu, MemoryPort mem, int seg, int selector) {
        selector &= 0xffff;
        SegmentRegister s = cpu.seg[seg];
        if (Privilege.realMode(cpu)) {
            // Only base and selector change: the limit and attributes left by protected mode stay ("unreal" mode).
            s.loadReal(selector);
            s.unusable = false;
            s.present = true;
            return;
        }
        if (Privilege.v86(cpu)) {
            loadV86(s, selector);
            return;
        }
        int cpl = cpu.cpl();
        int rpl = selector & 3;
        if (Descriptors.isNull(selector)) {
            if (seg != CpuState.SS) {
                s.loadNull(selector);
                return;
            }
            // A null SS exists only in 64-bit mode, below CPL 3, with RPL = CPL.
            if (!cpu.is64() || cpl == 3 || rpl != cpl) {
                throw Faults.gp0("null selector loaded into SS");
            }
            loadNullStack(s, selector, cpl);
            return;
        }
        long d = Descriptors.read(cpu, mem, selector, 0);
        int code = Faults.selectorCode(selector, 0);
        if (seg == CpuState.SS) {
            if (rpl != cpl || !Descriptors.writableData(d) || Descriptors.dpl(d) != cpl) {
                throw Faults.gp(code, "SS must be a writable data segment at CPL " + cpl);
            }
            if (!Descriptors.present(d)) {
                throw Faults.ss(code, "stack segment not present");
            }
        } else {
            if (Descriptors.isSystem(d) || (Descriptors.isCode(d) && !Descriptors.readableCode(d))) {
                throw Faults.gp(code, "not a data or readable code segment");
            }
            if (!Descriptors.conforming(d) && (rpl > Descriptors.dpl(d) || cpl > Descriptors.dpl(d))) {
                throw Faults.gp(code, "segment DPL below CPL/RPL");
            }
            if (!Descriptors.present(d)) {
                throw Faults.np(code, "segment not present");
            }
        }
        d = Descriptors.markAccessed(cpu, mem, selector, d);
        s.loadDescriptor(selector, d, 0);
    }

    /** Virtual-8086 mode segments: base = selector * 16, 64 KiB, read/write data at DPL 3. */
    static void loadV86(SegmentRegister s, int selector) {
        s.loadReal(selector);
        s.limit = 0xffff;
        s.type = 3;
        s.s = true;
        s.present = true;
        s.dpl = 3;
        s.db = false;
        s.l = false;
        s.g = false;
        s.unusable = false;
    }

    /**
     * The null SS of 64-bit mode (MOV/POP SS at CPL 0-2, interrupts and SYSCALL-style transitions): unusable, with
     * the DPL kept equal to the CPL, which the CPU keeps in SS.DPL.
     */
    static void loadNullStack(SegmentRegister s, int selector, int cpl) {
        s.loadNull(selector);
        s.dpl = cpl;
        s.type = 3;
        s.s = true;
        s.db = false;
        s.l = false;
        s.g = false;
    }

    /**
     * After a return to an outer privilege level (RETF, IRET): data segment registers the new CPL may not use are
     * nulled (SDM: "IF segment register points to data or non-conforming code segment and CPL > DPL").
     */
    static void invalidateForOuterLevel(CpuState cpu, int newCpl) {
        for (int seg : new int[]{CpuState.ES, CpuState.DS, CpuState.FS, CpuState.GS}) {
            SegmentRegister s = cpu.seg[seg];
            if (s.unusable) {
                continue;
            }
            boolean dataOrNonConforming = (s.type & Descriptors.CODE) == 0
                    || (s.type & Descriptors.CONFORMING) == 0;
            if (dataOrNonConforming && s.dpl < newCpl) {
                long base = s.base;
                s.loadNull(0);
                if (cpu.longMode() && (seg == CpuState.FS || seg == CpuState.GS)) {
                    // 64-bit code keeps its FS/GS base (the MSRs) through such returns: Linux relies on it.
                    s.base = base;
                }
            }
        }
    }
}
