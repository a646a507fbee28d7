package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/** ENTER, PUSHA and POPA: stack instructions that move several values and so fault all-or-nothing here. */
final class StackOps {
    private static final int[] PUSHA_ORDER = {CpuState.RAX, CpuState.RCX, CpuState.RDX, CpuState.RBX,
            CpuState.RSP, CpuState.RBP, CpuState.RSI, CpuState.RDI};

    private StackOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.ENTER, false, StackOps::enter);
        t.add(Mnemonic.PUSHA, false, StackOps::pusha);
        t.add(Mnemonic.POPA, false, StackOps::popa);
    }

    /**
     * ENTER size, level: push RBP, copy {@code level - 1} outer frame pointers (read through RBP in the stack
     * segment) and the new frame pointer, set RBP to the frame, and reserve {@code size} bytes.
     */
    private static int enter(CpuState cpu, MemoryPort mem, Instruction insn) {
        int size = insn.operandSize();
        long allocate = insn.operand(0) instanceof io.jkvm.translator.decoder.Operand.Imm a ? a.value() & 0xffff : 0;
        int level = insn.operand(1) instanceof io.jkvm.translator.decoder.Operand.Imm l ? (int) l.value() & 31 : 0;
        Stack s = Stack.current(cpu, mem);
        s.push(cpu.gpr[CpuState.RBP], size);
        long frame = s.sp;
        if (level > 0) {
            Stack display = Stack.current(cpu, mem);
            display.sp = cpu.gpr[CpuState.RBP];
            for (int i = 1; i < level; i++) {
                display.skip(-size);
                s.push(display.peek(0, size), size);
            }
            s.push(frame, size);
        }
        s.skip(-allocate);
        Operands.writeGpr(cpu, CpuState.RBP, s.width, frame);
        s.commit();
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** PUSHA/PUSHAD: AX, CX, DX, BX, the original SP, BP, SI, DI. */
    private static int pusha(CpuState cpu, MemoryPort mem, Instruction insn) {
        int size = insn.operandSize();
        Stack s = Stack.current(cpu, mem);
        for (int r : PUSHA_ORDER) {
            s.push(cpu.gpr[r], size);
        }
        s.commit();
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** POPA/POPAD: the reverse, skipping the saved SP. */
    private static int popa(CpuState cpu, MemoryPort mem, Instruction insn) {
        int size = insn.operandSize();
        Stack s = Stack.current(cpu, mem);
        long[] values = new long[8];
        for (int i = 7; i >= 0; i--) {
            values[i] = s.pop(size);
        }
        for (int i = 0; i < 8; i++) {
            if (PUSHA_ORDER[i] != CpuState.RSP) {
                Operands.writeGpr(cpu, PUSHA_ORDER[i], size, values[i]);
            }
        }
        s.commit();
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }
}
