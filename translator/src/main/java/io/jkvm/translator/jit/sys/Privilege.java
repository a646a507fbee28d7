package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;

/** The CPU-mode and privilege predicates that system instructions test before doing anything. */
final class Privilege {
    private Privilege() {
    }

    static boolean realMode(CpuState cpu) {
        return (cpu.cr0 & CpuState.CR0_PE) == 0;
    }

    /** Virtual-8086 mode: protected mode with RFLAGS.VM. */
    static boolean v86(CpuState cpu) {
        return !realMode(cpu) && (cpu.rflags & Flags.VM) != 0;
    }

    /** Protected mode proper (including long mode), not real and not virtual-8086. */
    static boolean protectedMode(CpuState cpu) {
        return !realMode(cpu) && (cpu.rflags & Flags.VM) == 0;
    }

    static int iopl(CpuState cpu) {
        return (int) (cpu.rflags >>> 12) & 3;
    }

    /** Instructions that only CPL 0 may execute raise #GP(0) elsewhere (virtual-8086 mode runs at CPL 3). */
    static void requireCpl0(CpuState cpu, String what) {
        if (cpu.cpl() != 0) {
            throw Faults.gp0(what + " at CPL " + cpu.cpl());
        }
    }

    /** Instructions that do not exist in real and virtual-8086 mode (LTR, LLDT, ARPL ...) raise #UD there. */
    static void requireProtectedMode(CpuState cpu, String what) {
        if (!protectedMode(cpu)) {
            throw Faults.ud(what + " outside protected mode");
        }
    }

    /** A 48-bit canonical linear address: bits 63:47 all equal. */
    static boolean canonical(long address) {
        return (address << 16 >> 16) == address;
    }

    /** CR4.UMIP makes SGDT, SIDT, SLDT, SMSW and STR privileged. */
    static void checkUmip(CpuState cpu, String what) {
        if ((cpu.cr4 & CpuState.CR4_UMIP) != 0 && cpu.cpl() > 0) {
            throw Faults.gp0(what + " with CR4.UMIP at CPL " + cpu.cpl());
        }
    }
}
