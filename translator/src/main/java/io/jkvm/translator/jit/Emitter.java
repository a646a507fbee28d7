package io.jkvm.translator.jit;

import io.jkvm.translator.decoder.Instruction;

/** Generates the bytecode of one instruction family. Registered per mnemonic in {@link Emitters}. */
public interface Emitter {

    /** How an instruction affects the shape of a region. */
    enum Flow {
        /** Falls through to the next instruction. */
        NEXT,
        /** Conditional direct branch: the target ({@code Operand.Rel}) and the next instruction both follow. */
        BRANCH,
        /** Unconditional direct jump to its {@code Operand.Rel} target. */
        JUMP,
        /** Leaves the region (calls, returns, indirect jumps, exits, mode changes): nothing follows in the block. */
        END
    }

    void emit(Gen g, Instruction insn);

    default Flow flow(Instruction insn) {
        return Flow.NEXT;
    }
}
