package io.jkvm.translator.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Consistency of the decoder's data: the opcode tables and the attributes on {@link Mnemonic}. */
class MnemonicTablesTest {

    private static Set<Mnemonic> produced() {
        Set<Mnemonic> seen = EnumSet.noneOf(Mnemonic.class);
        for (OpcodeTables.Slot[][] space : new OpcodeTables.Slot[][][] {OpcodeTables.LEGACY, OpcodeTables.VEX,
                OpcodeTables.XOP, OpcodeTables.EVEX}) {
            for (OpcodeTables.Slot[] map : space) {
                for (OpcodeTables.Slot slot : map) {
                    for (Form f : slot.forms) {
                        seen.add(f.mnemonic);
                    }
                }
            }
        }
        for (Form f : OpcodeTables.AMD3DNOW) {
            if (f != null) {
                seen.add(f.mnemonic);
            }
        }
        return seen;
    }

    @Test
    void everyMnemonicComesFromSomeTableRow() {
        Set<Mnemonic> missing = EnumSet.complementOf(EnumSet.copyOf(produced()));
        // SAL is Intel's other name for SHL /4; the decoder reports SHL for /4 and its /6 alias alike.
        assertEquals(EnumSet.of(Mnemonic.SAL), missing, "mnemonics no opcode row decodes to");
    }

    @Test
    void flagMasksAreConsistent() {
        for (Mnemonic m : Mnemonic.values()) {
            assertEquals(0, m.flagsUndefined() & ~m.flagsWritten(), m + ": undefined flags must be written ones");
            assertEquals(0, (m.flagsRead() | m.flagsWritten()) & ~Rflags.ALL, m + ": not an RFLAGS bit");
        }
    }

    @Test
    void attributesAreConsistent() {
        List<String> problems = new ArrayList<>();
        for (Mnemonic m : Mnemonic.values()) {
            if ((m.is(Attribute.AVX) || m.is(Attribute.X87)) && !m.is(Attribute.DECODE_ONLY)) {
                problems.add(m + ": AVX and x87 are decode-only in jkvm");
            }
            if (m.is(Attribute.SSE) && m.is(Attribute.DECODE_ONLY)) {
                problems.add(m + ": SSE marks the executed SSE/SSE2 set");
            }
            if ((m.is(Attribute.CONDITIONAL) || m.is(Attribute.CALL) || m.is(Attribute.RETURN))
                    && !m.is(Attribute.BRANCH)) {
                problems.add(m + ": conditional, call and return imply BRANCH");
            }
            if (m.name().startsWith("J") && m != Mnemonic.JMPF && !m.is(Attribute.BRANCH)) {
                problems.add(m + ": jumps are branches");
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        for (Mnemonic m : new Mnemonic[] {Mnemonic.IN, Mnemonic.OUT, Mnemonic.INS, Mnemonic.OUTS, Mnemonic.HLT,
                Mnemonic.CPUID, Mnemonic.RDMSR, Mnemonic.WRMSR, Mnemonic.VMCALL, Mnemonic.VMMCALL, Mnemonic.MOV_CR,
                Mnemonic.INVLPG}) {
            assertTrue(m.is(Attribute.VM_EXIT), m + " exits to the VMM under KVM");
        }
    }

    @Test
    void tableRowsAgreeOnModrmPerOpcode() {
        // OpcodeTables checks this while loading; loading must have succeeded and filled the maps.
        assertTrue(OpcodeTables.LEGACY[0][0x01].forms.length > 0);
        assertTrue(OpcodeTables.LEGACY[0][0x01].modrm);
        assertTrue(!OpcodeTables.LEGACY[0][0x90].modrm);
        assertTrue(OpcodeTables.VEX[1][0x58].forms.length >= 4);
    }
}
