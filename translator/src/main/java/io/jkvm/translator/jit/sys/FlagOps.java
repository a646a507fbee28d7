package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * Instructions that set, clear or move RFLAGS: CLC/STC/CMC, CLD/STD, CLI/STI, CLAC/STAC, PUSHF/POPF, LAHF/SAHF.
 *
 * <p>Which bits POPF may change is the SDM's table (Vol. 2, POPF), written once as a mask in {@link #popfMask}.
 * Virtual-8086 mode extensions (CR4.VME) and protected-mode virtual interrupts (CR4.PVI) are not modelled: where they
 * would apply, the instructions raise #GP(0) as a CPU without them does.
 */
final class FlagOps {
    /** Bits that are never written by POPF: reserved bits read as 0, bit 1 reads as 1. */
    private static final long DEFINED = Flags.ARITH | Flags.TF | Flags.IF | Flags.DF | Flags.IOPL | Flags.NT
            | Flags.RF | Flags.VM | Flags.AC | Flags.VIF | Flags.VIP | Flags.ID;

    private FlagOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.CLC, false, (cpu, mem, insn) -> setArith(cpu, insn, cpu.getRflags() & ~Flags.CF));
        t.add(Mnemonic.STC, false, (cpu, mem, insn) -> setArith(cpu, insn, cpu.getRflags() | Flags.CF));
        t.add(Mnemonic.CMC, false, (cpu, mem, insn) -> setArith(cpu, insn, cpu.getRflags() ^ Flags.CF));
        t.add(Mnemonic.CLD, false, (cpu, mem, insn) -> setFlag(cpu, insn, Flags.DF, false));
        t.add(Mnemonic.STD, false, (cpu, mem, insn) -> setFlag(cpu, insn, Flags.DF, true));
        t.add(Mnemonic.CLI, true, FlagOps::cli);
        t.add(Mnemonic.STI, true, FlagOps::sti);
        t.add(Mnemonic.CLAC, false, (cpu, mem, insn) -> smapAccess(cpu, insn, false));
        t.add(Mnemonic.STAC, false, (cpu, mem, insn) -> smapAccess(cpu, insn, true));
        t.add(Mnemonic.PUSHF, false, FlagOps::pushf);
        t.add(Mnemonic.POPF, true, FlagOps::popf);
        t.add(Mnemonic.LAHF, false, FlagOps::lahf);
        t.add(Mnemonic.SAHF, false, FlagOps::sahf);
    }

    private static int setArith(CpuState cpu, Instruction insn, long rflags) {
        cpu.setRflags(rflags);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int setFlag(CpuState cpu, Instruction insn, long flag, boolean on) {
        cpu.rflags = on ? cpu.rflags | flag : cpu.rflags & ~flag;
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** CLI/STI are allowed when IOPL >= CPL (always in real mode; in virtual-8086 mode only with IOPL 3). */
    private static void checkIopl(CpuState cpu, String what) {
        if (Privilege.realMode(cpu)) {
            return;
        }
        int iopl = Privilege.iopl(cpu);
        if (Privilege.v86(cpu) ? iopl != 3 : iopl < cpu.cpl()) {
            throw Faults.gp0(what + " with IOPL " + iopl + " at CPL " + cpu.cpl());
        }
    }

    private static int cli(CpuState cpu, MemoryPort mem, Instruction insn) {
        checkIopl(cpu, "CLI");
        cpu.rflags &= ~Flags.IF;
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /**
     * STI: interrupts stay blocked until after the next instruction, but only when STI actually sets IF (STI with
     * IF already 1 opens no new shadow, as in KVM's emulator and VMX's "blocking by STI").
     */
    private static int sti(CpuState cpu, MemoryPort mem, Instruction insn) {
        checkIopl(cpu, "STI");
        if ((cpu.rflags & Flags.IF) == 0) {
            cpu.interruptShadow = true;
        }
        cpu.rflags |= Flags.IF;
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** CLAC/STAC: CPL 0 only, and only when the guest has SMAP; both raise #UD otherwise. */
    private static int smapAccess(CpuState cpu, Instruction insn, boolean set) {
        if (!GuestFeatures.SMAP.in(cpu.config) || cpu.cpl() != 0) {
            throw Faults.ud((set ? "STAC" : "CLAC") + " without SMAP or at CPL " + cpu.cpl());
        }
        return setFlag(cpu, insn, Flags.AC, set);
    }

    /** PUSHF/PUSHFD/PUSHFQ: the image has VM and RF clear; in virtual-8086 mode IOPL must be 3. */
    private static int pushf(CpuState cpu, MemoryPort mem, Instruction insn) {
        if (Privilege.v86(cpu) && Privilege.iopl(cpu) != 3) {
            throw Faults.gp0("PUSHF in virtual-8086 mode with IOPL < 3");
        }
        int size = insn.operandSize();
        Stack s = Stack.current(cpu, mem);
        s.push(cpu.getRflags() & ~(Flags.VM | Flags.RF), size);
        s.commit();
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int popf(CpuState cpu, MemoryPort mem, Instruction insn) {
        int size = insn.operandSize();
        if (Privilege.v86(cpu) && Privilege.iopl(cpu) != 3) {
            throw Faults.gp0("POPF in virtual-8086 mode with IOPL < 3");
        }
        Stack s = Stack.current(cpu, mem);
        long popped = s.pop(size);
        long mask = popfMask(cpu, size);
        long value = (cpu.getRflags() & ~mask) | (popped & mask);
        if (size > 2) {
            // The 32- and 64-bit forms clear RF; the 16-bit form cannot reach it.
            value &= ~Flags.RF;
        }
        s.commit();
        cpu.setRflags(value);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /**
     * The RFLAGS bits POPF of {@code size} bytes may change (SDM Vol. 2, POPF): everything defined in the popped
     * width except VM, VIF and VIP (and RF, which the wide forms clear); IOPL only at CPL 0; IF only when
     * CPL <= IOPL. In virtual-8086 mode (IOPL 3 here) IOPL is kept.
     */
    static long popfMask(CpuState cpu, int size) {
        long mask = DEFINED & ~(Flags.VM | Flags.VIF | Flags.VIP | Flags.RF);
        if (Privilege.v86(cpu)) {
            mask &= ~Flags.IOPL;
        } else if (!Privilege.realMode(cpu)) {
            int cpl = cpu.cpl();
            if (cpl > 0) {
                mask &= ~Flags.IOPL;
            }
            if (cpl > Privilege.iopl(cpu)) {
                mask &= ~Flags.IF;
            }
        }
        return size == 2 ? mask & 0xffff : mask;
    }

    /** LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
    private static int lahf(CpuState cpu, MemoryPort mem, Instruction insn) {
        long low = cpu.getRflags() & (Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF) | Flags.FIXED;
        cpu.gpr[CpuState.RAX] = (cpu.gpr[CpuState.RAX] & ~0xff00L) | (low << 8);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** SAHF: SF, ZF, AF, PF and CF from AH; OF is kept. */
    private static int sahf(CpuState cpu, MemoryPort mem, Instruction insn) {
        long ah = cpu.gpr[CpuState.RAX] >>> 8 & 0xff;
        long sz = Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF;
        cpu.setRflags((cpu.getRflags() & ~sz) | (ah & sz));
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }
}
