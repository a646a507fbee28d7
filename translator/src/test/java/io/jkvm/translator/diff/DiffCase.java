package io.jkvm.translator.diff;

import java.util.List;

/**
 * One generated test case: an instruction sequence (Intel syntax, one instruction per line, the last one the
 * {@code ud2} that ends the case), the state it starts from, and, once assembled, its bytes and the offset of
 * every instruction (the boundaries come from the assembler's labels, not from jkvm's decoder).
 */
final class DiffCase {
    final long seed;
    final long index;
    final List<String> lines;
    final MachineState initial;
    final boolean usesSse;

    byte[] code;
    /** offsets[i] = offset of instruction i in {@link #code}; offsets[lines.size()] = code.length. */
    int[] offsets;

    DiffCase(long seed, long index, List<String> lines, MachineState initial, boolean usesSse) {
        this.seed = seed;
        this.index = index;
        this.lines = List.copyOf(lines);
        this.initial = initial;
        this.usesSse = usesSse;
    }

    /** The address of the final {@code ud2}. */
    long endAddress() {
        return DiffLayout.CODE + offsets[lines.size() - 1];
    }

    /** The index of the instruction at {@code rip}, or -1. */
    int instructionAt(long rip) {
        for (int i = 0; i < lines.size(); i++) {
            if (DiffLayout.CODE + offsets[i] == rip) {
                return i;
            }
        }
        return -1;
    }

    String name() {
        return "seed 0x" + Long.toHexString(seed) + " case " + index;
    }

    String listing() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            b.append(String.format("  %3d  %08x  ", i, DiffLayout.CODE + (offsets == null ? 0 : offsets[i])));
            if (code != null) {
                StringBuilder hex = new StringBuilder();
                for (int k = offsets[i]; k < offsets[i + 1]; k++) {
                    hex.append(String.format("%02x", code[k] & 0xff));
                }
                b.append(String.format("%-30s ", hex));
            }
            b.append(lines.get(i)).append('\n');
        }
        return b.toString();
    }
}
