package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * Instructions that raise events by design: INT n, INT3, INTO, INT1, UD0/UD1/UD2 and BOUND; and HLT, which stops
 * the vcpu. INT n/INT3/INTO are vectored here (they are traps: the frame holds the next instruction), with the gate
 * DPL check; INT1 skips it. HLT follows KVM without an in-kernel irqchip: RIP moves past HLT and the vcpu exits to
 * userspace with {@code KVM_EXIT_HLT}.
 */
final class TrapOps {
    private TrapOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.INT, true, (cpu, mem, insn) -> {
            if (Privilege.v86(cpu) && Privilege.iopl(cpu) < 3) {
                throw Faults.gp0("INT n in virtual-8086 mode with IOPL < 3");
            }
            int vector = (int) ((Operand.Imm) insn.operand(0)).value() & 0xff;
            return software(cpu, mem, insn, vector, Interrupts.Source.SOFTWARE);
        });
        t.add(Mnemonic.INT3, true, (cpu, mem, insn) ->
                software(cpu, mem, insn, GuestException.BP, Interrupts.Source.SOFTWARE));
        t.add(Mnemonic.INTO, true, (cpu, mem, insn) -> {
            if ((cpu.getRflags() & Flags.OF) == 0) {
                Operands.retire(cpu, insn);
                return Status.CONTINUE;
            }
            return software(cpu, mem, insn, GuestException.OF, Interrupts.Source.SOFTWARE);
        });
        t.add(Mnemonic.INT1, true, (cpu, mem, insn) ->
                software(cpu, mem, insn, GuestException.DB, Interrupts.Source.PRIVILEGED_SOFTWARE));
        for (Mnemonic ud : new Mnemonic[]{Mnemonic.UD0, Mnemonic.UD1, Mnemonic.UD2}) {
            t.add(ud, true, (cpu, mem, insn) -> {
                throw Faults.ud(insn.mnemonic().name());
            });
        }
        t.add(Mnemonic.BOUND, false, TrapOps::bound);
        t.add(Mnemonic.HLT, true, TrapOps::hlt);
    }

    private static int software(CpuState cpu, MemoryPort mem, Instruction insn, int vector,
                                Interrupts.Source source) {
        Interrupts.deliverSoftware(cpu, mem, vector, Operands.nextRip(cpu, insn), source);
        cpu.instructions++;
        return Status.CONTINUE;
    }

    /** BOUND r, m: #BR (a fault) unless lower <= r <= upper, signed, at the operand size (16 or 32). */
    private static int bound(CpuState cpu, MemoryPort mem, Instruction insn) {
        Operand.Reg r = (Operand.Reg) insn.operand(0);
        Operand.Mem m = (Operand.Mem) insn.operand(1);
        int size = r.size();
        long a = Operands.linear(cpu, m);
        long lower = Flags.sext(mem.read(a, size), size);
        long upper = Flags.sext(mem.read(a + size, size), size);
        long index = Flags.sext(Operands.readReg(cpu, r, size), size);
        if (index < lower || index > upper) {
            throw GuestException.of(GuestException.BR, "BOUND range exceeded");
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int hlt(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireCpl0(cpu, "HLT");
        Operands.retire(cpu, insn);
        cpu.exit.kind = ExitRequest.Kind.HLT;
        return Status.EXIT;
    }
}
