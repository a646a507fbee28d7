package io.jkvm.translator.decoder;

import java.util.List;

/**
 * One decoded x86 instruction: the single model that translation, single-stepping, disassembly and the
 * differential tests all consume. Immutable.
 *
 * @param address     the (linear) address of the first byte, i.e. RIP (or CS.base + IP) at the instruction
 * @param length      encoded length in bytes, 1 to 15
 * @param mnemonic    the operation; condition-code families use one mnemonic with {@code condition}
 * @param operands    operands in Intel order (destination first); implicit operands are not listed unless
 *                    the Intel/objdump syntax shows them
 * @param operandSize the effective operand size in bytes (1, 2, 4, 8; 16 for 128-bit vector operations): the size
 *                    of the first operand that has one (registers at their full width, memory at its access
 *                    size: 4 for MOVSS to memory, 1 for MOVS BYTE), else the operand-size attribute (PUSH imm8,
 *                    Jcc, RET imm16). Immediates, targets, segment registers and the DX port do not count, so
 *                    PUSH FS is 8 in 64-bit mode and OUT DX,AL is 1.
 * @param addressSize the effective address size in bytes (2, 4, 8)
 * @param prefixes    {@link Prefix} bits
 * @param condition   the x86 condition code 0-15 (O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G) for
 *                    Jcc/SETcc/CMOVcc (and FCMOVcc), else -1
 * @param bytes       the raw encoding ({@code length} bytes)
 */
public record Instruction(long address, int length, Mnemonic mnemonic, List<Operand> operands, int operandSize,
                          int addressSize, int prefixes, int condition, byte[] bytes) {

    public Instruction {
        operands = List.copyOf(operands);
        bytes = bytes.clone();
    }

    /** The address of the next instruction in sequence (not wrapped to the operand size). */
    public long nextAddress() {
        return address + length;
    }

    public Operand operand(int i) {
        return operands.get(i);
    }

    /** The explicit memory operand (an instruction has at most one), or null. */
    public Operand.Mem memoryOperand() {
        for (Operand o : operands) {
            if (o instanceof Operand.Mem m) {
                return m;
            }
        }
        return null;
    }

    public boolean has(int prefixBit) {
        return (prefixes & prefixBit) != 0;
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * The flags this instruction may read: the mnemonic's, narrowed to the ones its condition code tests for
     * Jcc/SETcc/CMOVcc/FCMOVcc/CMPccXADD.
     */
    public int flagsRead() {
        if (condition >= 0) {
            return mnemonic.flagsRead() & ~Rflags.CONDITIONS | Rflags.readByCondition(condition);
        }
        return mnemonic.flagsRead();
    }

    /** Intel syntax close to {@code objdump -M intel}, e.g. {@code add rax,QWORD PTR [rbx+rcx*4+0x10]}. */
    @Override
    public String toString() {
        return Disassembler.format(this);
    }
}
