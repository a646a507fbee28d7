package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.SegmentRegister;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * SYSCALL/SYSRET and SYSENTER/SYSEXIT with Intel's semantics (the vendor jkvm's CPUID model presents): the
 * selectors come from IA32_STAR or IA32_SYSENTER_CS and the segment caches are loaded with fixed flat values, not
 * from the GDT. SYSCALL and SYSRET exist only in 64-bit mode with EFER.SCE (AMD's legacy-mode SYSCALL is not
 * modelled); SYSENTER works in protected and compatibility mode.
 */
final class FastSystemCalls {
    private static final int CODE_TYPE = 0xb, DATA_TYPE = 3;
    private static final int R11 = 11;
    /** SYSRET restores RFLAGS from R11 except RF, VM and the reserved bits (SDM: R11 AND 3C7FD7H, OR 2). */
    private static final long SYSRET_FLAGS = 0x3c7fd7L;

    private FastSystemCalls() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.SYSCALL, true, FastSystemCalls::syscall);
        t.add(Mnemonic.SYSRET, true, FastSystemCalls::sysret);
        t.add(Mnemonic.SYSENTER, true, FastSystemCalls::sysenter);
        t.add(Mnemonic.SYSEXIT, true, FastSystemCalls::sysexit);
    }

    /** A flat 4 GiB segment cache as these instructions load it. */
    static void flat(SegmentRegister s, int selector, int type, int dpl, boolean longCode) {
        s.selector = selector & 0xffff;
        s.base = 0;
        s.limit = 0xffffffff;
        s.type = type;
        s.s = true;
        s.dpl = dpl;
        s.present = true;
        s.l = longCode;
        s.db = !longCode;
        s.g = true;
        s.avl = false;
        s.unusable = false;
    }

    private static int syscall(CpuState cpu, MemoryPort mem, Instruction insn) {
        if (!cpu.is64() || (cpu.efer & CpuState.EFER_SCE) == 0) {
            throw Faults.ud("SYSCALL outside 64-bit mode or without EFER.SCE");
        }
        long next = Operands.nextRip(cpu, insn);
        long rflags = cpu.getRflags();
        int selector = (int) (cpu.star >>> 32) & 0xffff;
        cpu.gpr[CpuState.RCX] = next;
        cpu.gpr[R11] = rflags & ~Flags.RF;
        cpu.setRflags((rflags & ~cpu.sfmask & ~Flags.RF) | Flags.FIXED);
        flat(cpu.seg[CpuState.CS], selector & 0xfffc, CODE_TYPE, 0, true);
        flat(cpu.seg[CpuState.SS], selector + 8, DATA_TYPE, 0, false);
        cpu.rip = cpu.lstar;
        cpu.instructions++;
        mem.controlRegistersChanged(cpu);
        return Status.CONTINUE;
    }

    private static int sysret(CpuState cpu, MemoryPort mem, Instruction insn) {
        if (!cpu.is64() || (cpu.efer & CpuState.EFER_SCE) == 0) {
            throw Faults.ud("SYSRET outside 64-bit mode or without EFER.SCE");
        }
        Privilege.requireCpl0(cpu, "SYSRET");
        boolean to64 = insn.operandSize() == 8;
        long rip = to64 ? cpu.gpr[CpuState.RCX] : cpu.gpr[CpuState.RCX] & 0xffffffffL;
        if (to64 && !Privilege.canonical(rip)) {
            throw Faults.gp0("SYSRET to a non-canonical RCX");
        }
        int base = (int) (cpu.star >>> 48) & 0xffff;
        cpu.setRflags((cpu.gpr[R11] & SYSRET_FLAGS) | Flags.FIXED);
        flat(cpu.seg[CpuState.CS], (to64 ? base + 16 : base) | 3, CODE_TYPE, 3, to64);
        flat(cpu.seg[CpuState.SS], (base + 8) | 3, DATA_TYPE, 3, false);
        cpu.rip = rip;
        cpu.instructions++;
        mem.controlRegistersChanged(cpu);
        return Status.CONTINUE;
    }

    private static int sysenter(CpuState cpu, MemoryPort mem, Instruction insn) {
        int cs = (int) cpu.sysenterCs & 0xffff;
        if (Privilege.realMode(cpu) || (cs & 0xfffc) == 0) {
            throw Faults.gp0("SYSENTER in real mode or with IA32_SYSENTER_CS = 0");
        }
        boolean lm = cpu.longMode();
        cpu.rflags &= ~(Flags.VM | Flags.IF | Flags.RF);
        flat(cpu.seg[CpuState.CS], cs & 0xfffc, CODE_TYPE, 0, lm);
        flat(cpu.seg[CpuState.SS], (cs & 0xfffc) + 8, DATA_TYPE, 0, false);
        cpu.gpr[CpuState.RSP] = lm ? cpu.sysenterEsp : cpu.sysenterEsp & 0xffffffffL;
        cpu.rip = lm ? cpu.sysenterEip : cpu.sysenterEip & 0xffffffffL;
        cpu.instructions++;
        mem.controlRegistersChanged(cpu);
        return Status.CONTINUE;
    }

    private static int sysexit(CpuState cpu, MemoryPort mem, Instruction insn) {
        int cs = (int) cpu.sysenterCs & 0xffff;
        if (!Privilege.protectedMode(cpu) || (cs & 0xfffc) == 0 || cpu.cpl() != 0) {
            throw Faults.gp0("SYSEXIT outside protected mode, with IA32_SYSENTER_CS = 0, or at CPL > 0");
        }
        boolean to64 = insn.operandSize() == 8;
        long rip = to64 ? cpu.gpr[CpuState.RDX] : cpu.gpr[CpuState.RDX] & 0xffffffffL;
        long rsp = to64 ? cpu.gpr[CpuState.RCX] : cpu.gpr[CpuState.RCX] & 0xffffffffL;
        if (to64 && (!Privilege.canonical(rip) || !Privilege.canonical(rsp))) {
            throw Faults.gp0("SYSEXIT to a non-canonical RDX or RCX");
        }
        flat(cpu.seg[CpuState.CS], (cs + (to64 ? 32 : 16)) | 3, CODE_TYPE, 3, to64);
        flat(cpu.seg[CpuState.SS], (cs + (to64 ? 40 : 24)) | 3, DATA_TYPE, 3, false);
        cpu.gpr[CpuState.RSP] = rsp;
        cpu.rip = rip;
        cpu.instructions++;
        mem.controlRegistersChanged(cpu);
        return Status.CONTINUE;
    }
}
