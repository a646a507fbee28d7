package io.jkvm.translator.decoder;

import java.util.Locale;

/**
 * Intel-syntax text close to {@code objdump -d -M intel}, for failure reports and traces:
 * {@code add rax,QWORD PTR [rbx+rcx*4+0x10]}, {@code jne 0x401000}, {@code rep stos QWORD PTR es:[rdi],rax}.
 *
 * <p>Differences from objdump that remain on purpose: condition codes use one spelling each (objdump's), no
 * pseudo-ops are made up for predicates (CMPPS imm8 stays an operand), EVEX masking and broadcast are not shown,
 * and branch targets are plain hexadecimal addresses.
 */
public final class Disassembler {

    private Disassembler() {
    }

    private static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge",
            "le", "g"};
    private static final String[] CC_XADD = {"o", "no", "b", "nb", "z", "nz", "be", "nbe", "s", "ns", "p", "np", "l",
            "nl", "le", "nle"};
    private static final String[] FCMOV_CC = new String[16];

    static {
        FCMOV_CC[2] = "b";
        FCMOV_CC[4] = "e";
        FCMOV_CC[6] = "be";
        FCMOV_CC[10] = "u";
        FCMOV_CC[3] = "nb";
        FCMOV_CC[5] = "ne";
        FCMOV_CC[7] = "nbe";
        FCMOV_CC[11] = "nu";
    }

    private static final String[][] GPR = {
            {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b",
                    "r15b"},
            {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w",
                    "r15w"},
            {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d",
                    "r14d", "r15d"},
            {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
                    "r15"}};
    private static final String[] HIGH8 = {"ah", "ch", "dh", "bh"};
    private static final String[] SEGMENTS = {"es", "cs", "ss", "ds", "fs", "gs", "?", "?"};

    /** The whole line: prefixes that objdump shows, mnemonic and operands. */
    public static String format(Instruction insn) {
        StringBuilder s = new StringBuilder();
        if (insn.has(Prefix.LOCK)) {
            s.append("lock ");
        }
        if (insn.mnemonic().is(Attribute.STRING)) {
            boolean compares = insn.mnemonic() == Mnemonic.CMPS || insn.mnemonic() == Mnemonic.SCAS;
            if (insn.has(Prefix.REP)) {
                s.append(compares ? "repz " : "rep ");
            } else if (insn.has(Prefix.REPNE)) {
                s.append("repnz ");
            }
        }
        s.append(mnemonic(insn));
        String sep = " ";
        for (Operand o : insn.operands()) {
            s.append(sep).append(operand(insn, o));
            sep = ",";
        }
        for (Operand o : insn.operands()) {
            if (o instanceof Operand.Mem m && m.base() == Operand.Mem.RIP) {
                s.append("        # 0x").append(Long.toHexString(m.displacement()));
            }
        }
        return s.toString();
    }

    /** objdump's spelling of the mnemonic (condition codes expanded, far and CR/DR forms folded back). */
    public static String mnemonic(Instruction insn) {
        Mnemonic m = insn.mnemonic();
        int cc = insn.condition();
        return switch (m) {
            case JCC -> "j" + CC[cc];
            case SETCC -> "set" + CC[cc];
            case CMOVCC -> "cmov" + CC[cc];
            case FCMOVCC -> "fcmov" + FCMOV_CC[cc];
            case CMPCCXADD -> "cmp" + CC_XADD[cc] + "xadd";
            case MOV_CR, MOV_DR -> "mov";
            case CALLF -> "call";
            case JMPF -> "jmp";
            case MOV -> isMovabs(insn) ? "movabs" : "mov";
            default -> m.name().toLowerCase(Locale.ROOT);
        };
    }

    private static boolean isMovabs(Instruction insn) {
        for (Operand o : insn.operands()) {
            if (o instanceof Operand.Imm imm && imm.size() == 8) {
                return true;
            }
            if (o instanceof Operand.Mem mem && mem.addressSize() == 8 && mem.base() == Operand.Mem.NONE
                    && mem.index() == Operand.Mem.NONE && opcode(insn) >= 0xA0 && opcode(insn) <= 0xA3) {
                return true;
            }
        }
        return false;
    }

    /** The first byte after the legacy prefixes and REX. */
    private static int opcode(Instruction insn) {
        byte[] b = insn.bytes();
        for (byte x : b) {
            int v = x & 0xFF;
            boolean prefix = v == 0x26 || v == 0x2E || v == 0x36 || v == 0x3E || v == 0x64 || v == 0x65 || v == 0x66
                    || v == 0x67 || v == 0xF0 || v == 0xF2 || v == 0xF3 || (v & 0xF0) == 0x40 && insn.has(Prefix.REX);
            if (!prefix) {
                return v;
            }
        }
        return -1;
    }

    public static String operand(Instruction insn, Operand o) {
        return switch (o) {
            case Operand.Reg r -> register(r);
            case Operand.Mem m -> memory(insn, m);
            case Operand.Imm i -> immediate(insn, i);
            case Operand.Rel r -> "0x" + Long.toHexString(r.target());
            case Operand.Far f -> "0x" + Integer.toHexString(f.selector()) + ":0x" + Long.toHexString(f.offset());
        };
    }

    public static String register(Operand.Reg r) {
        int n = r.number();
        return switch (r.regClass()) {
            case GPR -> GPR[Integer.numberOfTrailingZeros(r.size())][n];
            case GPR8_HIGH -> HIGH8[n];
            case SEGMENT -> SEGMENTS[n];
            case CONTROL -> "cr" + n;
            case DEBUG -> "dr" + n;
            case XMM -> "xmm" + n;
            case YMM -> "ymm" + n;
            case MMX -> "mm" + n;
            case X87 -> n == 0 ? "st" : "st(" + n + ")";
            case OTHER -> n >= RegClass.ZMM_BASE ? "zmm" + (n - RegClass.ZMM_BASE)
                    : n >= RegClass.TMM_BASE ? "tmm" + (n - RegClass.TMM_BASE)
                    : n >= RegClass.BND_BASE ? "bnd" + (n - RegClass.BND_BASE)
                    : "k" + (n - RegClass.MASK_BASE);
        };
    }

    private static String sizeKeyword(int size) {
        return switch (size) {
            case 1 -> "BYTE PTR ";
            case 2 -> "WORD PTR ";
            case 4 -> "DWORD PTR ";
            case 6 -> "FWORD PTR ";
            case 8 -> "QWORD PTR ";
            case 10 -> "TBYTE PTR ";
            case 16 -> "XMMWORD PTR ";
            case 32 -> "YMMWORD PTR ";
            case 64 -> "ZMMWORD PTR ";
            default -> "";
        };
    }

    private static String memory(Instruction insn, Operand.Mem m) {
        boolean moffs = m.base() == Operand.Mem.NONE && m.index() == Operand.Mem.NONE && opcode(insn) >= 0xA0
                && opcode(insn) <= 0xA3;
        // objdump shows no size for moffs and for the LGDT/SGDT pseudo-descriptor.
        boolean descriptor = insn.mnemonic() == Mnemonic.LGDT || insn.mnemonic() == Mnemonic.LIDT
                || insn.mnemonic() == Mnemonic.SGDT || insn.mnemonic() == Mnemonic.SIDT;
        StringBuilder s = new StringBuilder(moffs || descriptor ? "" : sizeKeyword(m.size()));
        String[] regs = GPR[Integer.numberOfTrailingZeros(m.addressSize())];
        boolean string = insn.mnemonic().is(Attribute.STRING) || insn.mnemonic() == Mnemonic.XLAT;
        boolean absolute = m.base() == Operand.Mem.NONE && m.index() == Operand.Mem.NONE;
        if (string || absolute || insn.has(Prefix.SEGMENT) && m.segment() != defaultSegment(m)) {
            s.append(SEGMENTS[m.segment().ordinal()]).append(':');
        }
        if (absolute) {
            return s.append("0x").append(Long.toHexString(mask(m.displacement(), m.addressSize()))).toString();
        }
        s.append('[');
        boolean any = false;
        if (m.base() == Operand.Mem.RIP) {
            s.append(m.addressSize() == 4 ? "eip" : "rip");
            // objdump shows the disp32 sign-extended and unsigned here: [rip+0xfffffffffffffff0].
            long rel = (int) (m.displacement() - insn.nextAddress());
            return s.append("+0x").append(Long.toHexString(rel)).append(']').toString();
        }
        if (m.base() != Operand.Mem.NONE) {
            s.append(regs[m.base()]);
            any = true;
        }
        if (m.index() != Operand.Mem.NONE) {
            if (any) {
                s.append('+');
            }
            s.append(regs[m.index()]);
            if (m.addressSize() != 2) {
                s.append('*').append(m.scale()); // 16-bit forms have no scale: [bx+si]
            }
            any = true;
        }
        if (m.base() == Operand.Mem.NONE) {
            s.append(m.displacement() == 0 ? "+0x0" : signed(m.displacement()));
        } else {
            s.append(signed(m.displacement()));
        }
        return s.append(']').toString();
    }

    private static Segment defaultSegment(Operand.Mem m) {
        boolean stack = m.addressSize() == 2 ? m.base() == 5 : m.base() == 4 || m.base() == 5;
        return stack ? Segment.SS : Segment.DS;
    }

    private static String signed(long v) {
        if (v == 0) {
            return "";
        }
        return v < 0 ? "-0x" + Long.toHexString(-v) : "+0x" + Long.toHexString(v);
    }

    private static String immediate(Instruction insn, Operand.Imm imm) {
        if (imm.size() == 0) {
            return Long.toString(imm.value()); // the shift count 1 of D0-D3, which is not encoded
        }
        int width = imm.size();
        // Sign-extended immediates are shown at the width of the operation, as objdump does.
        if (imm.value() < 0 || imm.size() < insn.operandSize() && insn.operandSize() <= 8) {
            width = Math.min(8, Math.max(imm.size(), insn.operandSize()));
        }
        return "0x" + Long.toHexString(mask(imm.value(), width));
    }

    private static long mask(long v, int bytes) {
        return bytes >= 8 ? v : v & ((1L << (8 * bytes)) - 1);
    }
}
