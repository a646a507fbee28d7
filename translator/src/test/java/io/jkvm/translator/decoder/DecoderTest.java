package io.jkvm.translator.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The parts of the {@link Instruction} contract that text cannot show: operand records, prefix bits, segments,
 * sizes and the fault details, for encodings whose meaning the SDM fixes.
 */
class DecoderTest {

    private static Instruction decode(CodeSize mode, String hex) throws DecodeException {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        return Decoder.decode(b, 0, b.length, 0x1000, mode);
    }

    private static DecodeException fault(CodeSize mode, String hex, int available) {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        return assertThrows(DecodeException.class, () -> Decoder.decode(b, 0, available, 0x1000, mode));
    }

    @Test
    void ripRelativeOperandHoldsTheAbsoluteTarget() throws DecodeException {
        // mov eax,[rip+0x10] followed by an imm8: the target counts the immediate (cmp dword [rip+0x10],5).
        Instruction i = decode(CodeSize.BITS64, "83 3d 10 00 00 00 05");
        Operand.Mem m = (Operand.Mem) i.operand(0);
        assertEquals(Operand.Mem.RIP, m.base());
        assertEquals(0x1000 + 7 + 0x10, m.displacement());
        assertEquals(4, m.size());
        assertEquals(new Operand.Imm(5, 1), i.operand(1));
    }

    @Test
    void sixteenBitFormsUseGprNumbersAndStackSegmentForBp() throws DecodeException {
        Operand.Mem m = (Operand.Mem) decode(CodeSize.BITS16, "8b 42 fe").operand(1); // [bp+si-2]
        assertEquals(5, m.base());
        assertEquals(6, m.index());
        assertEquals(-2, m.displacement());
        assertEquals(Segment.SS, m.segment());
        assertEquals(2, m.addressSize());
        Operand.Mem bx = (Operand.Mem) decode(CodeSize.BITS16, "8b 07").operand(1); // [bx]
        assertEquals(3, bx.base());
        assertEquals(Segment.DS, bx.segment());
    }

    @Test
    void segmentOverridesCountOnlyForFsAndGsInLongMode() throws DecodeException {
        Instruction es = decode(CodeSize.BITS64, "26 8b 00");
        assertEquals(Segment.DS, ((Operand.Mem) es.operand(1)).segment());
        assertTrue(es.has(Prefix.SEGMENT));
        assertEquals(Segment.GS, ((Operand.Mem) decode(CodeSize.BITS64, "65 8b 00").operand(1)).segment());
        assertEquals(Segment.ES, ((Operand.Mem) decode(CodeSize.BITS32, "26 8b 00").operand(1)).segment());
        // rsp/rbp bases default to SS, an override replaces it (in 32-bit mode).
        assertEquals(Segment.SS, ((Operand.Mem) decode(CodeSize.BITS32, "8b 45 08").operand(1)).segment());
        assertEquals(Segment.DS, ((Operand.Mem) decode(CodeSize.BITS32, "3e 8b 45 08").operand(1)).segment());
        // String destinations are always ES:rDI; the source takes overrides.
        Instruction movs = decode(CodeSize.BITS32, "64 a5");
        assertEquals(Segment.ES, ((Operand.Mem) movs.operand(0)).segment());
        assertEquals(Segment.FS, ((Operand.Mem) movs.operand(1)).segment());
    }

    @Test
    void mandatoryPrefixesAreNotReportedAsPrefixes() throws DecodeException {
        Instruction movss = decode(CodeSize.BITS64, "f3 0f 10 c1");
        assertFalse(movss.has(Prefix.REP));
        Instruction movapd = decode(CodeSize.BITS64, "66 0f 28 c1");
        assertFalse(movapd.has(Prefix.OPERAND_SIZE));
        Instruction repMovs = decode(CodeSize.BITS64, "f3 a4");
        assertTrue(repMovs.has(Prefix.REP));
        assertFalse(repMovs.has(Prefix.REPNE));
        // Of F2 and F3 the last one counts, and only that one is reported.
        Instruction last = decode(CodeSize.BITS64, "f3 f2 a4");
        assertTrue(last.has(Prefix.REPNE));
        assertFalse(last.has(Prefix.REP));
    }

    @Test
    void rexCountsOnlyRightBeforeTheOpcode() throws DecodeException {
        Instruction ignored = decode(CodeSize.BITS64, "48 66 01 c0");
        assertEquals(2, ignored.operandSize());
        assertFalse(ignored.has(Prefix.REX));
        Instruction used = decode(CodeSize.BITS64, "66 48 01 c0");
        assertEquals(8, used.operandSize());
        assertTrue(used.has(Prefix.REX_W));
        // With any REX, register 4-7 of a byte operand is SPL..DIL, without it AH..BH.
        assertEquals(new Operand.Reg(RegClass.GPR, 4, 1), decode(CodeSize.BITS64, "40 88 e0").operand(1));
        assertEquals(new Operand.Reg(RegClass.GPR8_HIGH, 0, 1), decode(CodeSize.BITS64, "88 e0").operand(1));
    }

    @Test
    void operandSizesFollowTheModeRules() throws DecodeException {
        assertEquals(8, decode(CodeSize.BITS64, "6a 01").operandSize());      // push imm8: default 64
        assertEquals(2, decode(CodeSize.BITS64, "66 6a 01").operandSize());
        assertEquals(8, decode(CodeSize.BITS64, "66 e8 00 00 00 00").operandSize()); // near branch: forced 64
        assertEquals(6, decode(CodeSize.BITS64, "66 e8 00 00 00 00").length());
        assertEquals(4, decode(CodeSize.BITS64, "0f b6 c1").operandSize());   // movzx: the destination's size
        assertEquals(1, decode(CodeSize.BITS64, "a4").operandSize());         // movs: the element size
        assertEquals(16, decode(CodeSize.BITS64, "66 0f fe c1").operandSize());
        assertEquals(32, decode(CodeSize.BITS64, "c5 fc 58 c1").operandSize());
        assertEquals(8, decode(CodeSize.BITS64, "0f a0").operandSize());      // push fs: 64-bit, not 16
        assertEquals(1, decode(CodeSize.BITS64, "ee").operandSize());         // out dx,al: the data, not the port
        assertEquals(4, decode(CodeSize.BITS64, "6f").operandSize());         // outs dx,DWORD PTR ds:[rsi]
        assertEquals(4, decode(CodeSize.BITS64, "8e d8").operandSize());      // mov ds,eax
        assertEquals(2, decode(CodeSize.BITS16, "01 c0").operandSize());
        assertEquals(4, decode(CodeSize.BITS16, "66 01 c0").operandSize());
        assertEquals(4, decode(CodeSize.BITS16, "67 8b 00").addressSize());
        assertEquals(4, decode(CodeSize.BITS64, "67 8b 00").addressSize());
    }

    @Test
    void immediatesAreExtendedAsTheInstructionDoes() throws DecodeException {
        assertEquals(new Operand.Imm(-1, 1), decode(CodeSize.BITS64, "48 83 c0 ff").operand(1));
        assertEquals(new Operand.Imm(-1, 4), decode(CodeSize.BITS64, "48 05 ff ff ff ff").operand(1));
        assertEquals(new Operand.Imm(0xFFFFFFFFL, 4), decode(CodeSize.BITS64, "05 ff ff ff ff").operand(1));
        assertEquals(new Operand.Imm(0xFF, 1), decode(CodeSize.BITS64, "c1 e0 ff").operand(1));
        assertEquals(new Operand.Imm(1, 0), decode(CodeSize.BITS64, "d1 e0").operand(1));
        assertEquals(new Operand.Far(0x08, 0x12345678, 6), decode(CodeSize.BITS32, "ea 78 56 34 12 08 00").operand(0));
    }

    @Test
    void branchTargetsWrapToTheOperandSize() throws DecodeException {
        byte[] jmp = HexFormat.of().parseHex("e900e0"); // jmp -0x2000 at IP 0x1000 in 16-bit code
        Instruction i = Decoder.decode(jmp, 0, 3, 0x1000, CodeSize.BITS16);
        assertEquals(new Operand.Rel(0xF003, 2), i.operand(0)); // IP wraps within the 64 KiB segment
        Instruction near = Decoder.decode(HexFormat.of().parseHex("ebfe"), 0, 2, 0xFFFF_FFFF_0000L, CodeSize.BITS64);
        assertEquals(0xFFFF_FFFF_0000L, ((Operand.Rel) near.operand(0)).target());
    }

    @Test
    void conditionCodesAndTheFlagsTheyRead() throws DecodeException {
        Instruction jbe = decode(CodeSize.BITS64, "76 00");
        assertEquals(Mnemonic.JCC, jbe.mnemonic());
        assertEquals(6, jbe.condition());
        assertEquals(Rflags.CF | Rflags.ZF, jbe.flagsRead());
        assertEquals(Rflags.SF | Rflags.OF, decode(CodeSize.BITS64, "0f 4c c1").flagsRead()); // cmovl
        assertEquals(-1, decode(CodeSize.BITS64, "01 c0").condition());
    }

    @Test
    void truncationReportsTheBytesNeededAndNeverReadsPastAvailable() {
        // call rel32 with only 3 of its 5 bytes available: the rest of the array must not be looked at.
        DecodeException e = fault(CodeSize.BITS64, "e8 01 02 03 04", 3);
        assertEquals(DecodeException.Reason.TRUNCATED, e.reason());
        assertEquals(5, e.needed());
        DecodeException none = fault(CodeSize.BITS64, "90", 0);
        assertEquals(1, none.needed());
        // A 16th byte is a #GP, not a page fault, even with fewer than 16 bytes available.
        DecodeException tooLong = fault(CodeSize.BITS64, "66".repeat(15) + "90", 16);
        assertEquals(DecodeException.Reason.TOO_LONG, tooLong.reason());
        DecodeException tooLongShort = fault(CodeSize.BITS64, "66".repeat(15), 15);
        assertEquals(DecodeException.Reason.TOO_LONG, tooLongShort.reason());
    }

    @Test
    void decodesAtAnOffsetAndKeepsItsOwnCopyOfTheBytes() throws DecodeException {
        byte[] code = HexFormat.of().parseHex("cccc4801c8cc");
        Instruction i = Decoder.decode(code, 2, 100, 0x2002, CodeSize.BITS64);
        assertEquals(3, i.length());
        assertEquals(0x2005, i.nextAddress());
        assertArrayEquals(HexFormat.of().parseHex("4801c8"), i.bytes());
        code[2] = 0;
        assertArrayEquals(HexFormat.of().parseHex("4801c8"), i.bytes());
        assertNotSame(i.bytes(), i.bytes());
    }

    @Test
    void invalidEncodingsSayWhy() {
        assertTrue(fault(CodeSize.BITS64, "f0 01 c0", 3).getMessage().contains("LOCK"));
        assertTrue(fault(CodeSize.BITS64, "c5 f1 6e c0", 4).getMessage().contains("vvvv"));
        assertEquals(DecodeException.Reason.INVALID, fault(CodeSize.BITS64, "06", 1).reason());
    }
}
