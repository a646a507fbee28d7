package io.jkvm.translator.decoder;

/**
 * One operand column of an opcode-table entry, in the SDM's Appendix A notation ({@code Eb}, {@code Gv},
 * {@code Ib}, {@code Wx} ...), turned into a small handler that builds the {@link Operand} from the decoded
 * fields. The same handler object serves every table entry that uses the notation.
 */
abstract sealed class OperandSpec
        permits OperandSpec.ModrmRm, OperandSpec.ModrmReg, OperandSpec.Vvvv, OperandSpec.OpcodeReg,
        OperandSpec.FixedReg, OperandSpec.StackReg, OperandSpec.Immediate, OperandSpec.Constant,
        OperandSpec.Relative, OperandSpec.FarPointer, OperandSpec.MemoryOffset, OperandSpec.StringMem,
        OperandSpec.Is4Reg, OperandSpec.Is4Immediate {

    /** The register file a register-form operand names. */
    enum RegKind {
        GPR, MMX, VECTOR, MASK, BND, SEGMENT, CONTROL, DEBUG, TMM;

        Operand.Reg reg(Cursor c, int number, SizeCode size) throws DecodeException {
            return switch (this) {
                case GPR -> gpr(c, number, size.bytes(c));
                case MMX -> new Operand.Reg(RegClass.MMX, number & 7, 8);
                case VECTOR -> vector(number, size.vectorRegisterBytes(c));
                case MASK -> {
                    if (number > 7) {
                        throw DecodeException.invalid("only k0-k7 exist (VEX.R/EVEX.R or the top vvvv bit set)");
                    }
                    yield new Operand.Reg(RegClass.OTHER, RegClass.MASK_BASE + number, 8);
                }
                case BND -> {
                    if (number > 3) {
                        throw DecodeException.invalid("MPX has only bnd0-bnd3");
                    }
                    yield new Operand.Reg(RegClass.OTHER, RegClass.BND_BASE + number, 16);
                }
                case TMM -> new Operand.Reg(RegClass.OTHER, RegClass.TMM_BASE + (number & 7), 1024);
                case SEGMENT -> {
                    if (number > 5) {
                        throw DecodeException.invalid("segment register 6 and 7 do not exist");
                    }
                    yield new Operand.Reg(RegClass.SEGMENT, number, 2);
                }
                case CONTROL -> new Operand.Reg(RegClass.CONTROL, number, c.mode == CodeSize.BITS64 ? 8 : 4);
                case DEBUG -> new Operand.Reg(RegClass.DEBUG, number, c.mode == CodeSize.BITS64 ? 8 : 4);
            };
        }
    }

    static Operand.Reg gpr(Cursor c, int number, int size) {
        if (size == 1 && !c.rex && number >= 4 && number < 8) {
            return new Operand.Reg(RegClass.GPR8_HIGH, number - 4, 1);
        }
        return new Operand.Reg(RegClass.GPR, number, size);
    }

    static Operand.Reg vector(int number, int bytes) {
        return switch (bytes) {
            case 16 -> new Operand.Reg(RegClass.XMM, number, 16);
            case 32 -> new Operand.Reg(RegClass.YMM, number, 32);
            default -> new Operand.Reg(RegClass.OTHER, RegClass.ZMM_BASE + number, 64);
        };
    }

    static final int ANY = -1;
    static final int MOD_MEM = 0;
    static final int MOD_REG = 1;

    /** Bytes of immediate data this operand consumes after ModRM, SIB and displacement. */
    int immediateBytes(Cursor c) {
        return 0;
    }

    abstract Operand decode(Cursor c) throws DecodeException;

    /** {@link #MOD_MEM} or {@link #MOD_REG} if this operand only exists in one ModRM form, else {@link #ANY}. */
    int modConstraint() {
        return ANY;
    }

    boolean usesModrm() {
        return false;
    }

    boolean usesVvvv() {
        return false;
    }

    /** True for operands that do not say what size the instruction operates on (immediates, targets). */
    boolean sizeless() {
        return false;
    }

    /** E, M, R, Q, N, W, U and the SDM's "r32/m16" pairs: ModRM.rm as a register or a memory operand. */
    static final class ModrmRm extends OperandSpec {
        final RegKind regKind;   // null: memory only
        final SizeCode regSize;
        final SizeCode memSize;  // null: register only
        final boolean forceRegister; // MOV CR/DR: the mod bits are ignored

        ModrmRm(RegKind regKind, SizeCode regSize, SizeCode memSize, boolean forceRegister) {
            this.regKind = regKind;
            this.regSize = regSize;
            this.memSize = memSize;
            this.forceRegister = forceRegister;
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            if (c.mod == 3 || forceRegister) {
                return regKind.reg(c, c.rmExtended(regKind), regSize);
            }
            return c.memory(memSize.bytes(c));
        }

        @Override
        int modConstraint() {
            if (forceRegister) {
                return ANY;
            }
            return regKind == null ? MOD_MEM : memSize == null ? MOD_REG : ANY;
        }

        @Override
        boolean usesModrm() {
            return true;
        }
    }

    /** G, P, V, C, D, S: ModRM.reg names a register. */
    static final class ModrmReg extends OperandSpec {
        final RegKind kind;
        final SizeCode size;

        ModrmReg(RegKind kind, SizeCode size) {
            this.kind = kind;
            this.size = size;
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            return kind.reg(c, c.regExtended(kind), size);
        }

        /** A segment register is a 16-bit selector whatever the operation's width (MOV Sreg, r/m32). */
        @Override
        boolean sizeless() {
            return kind == RegKind.SEGMENT;
        }

        @Override
        boolean usesModrm() {
            return true;
        }
    }

    /** B (GPR) and H (vector): the register in VEX.vvvv. */
    static final class Vvvv extends OperandSpec {
        final RegKind kind;
        final SizeCode size;

        Vvvv(RegKind kind, SizeCode size) {
            this.kind = kind;
            this.size = size;
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            return kind.reg(c, c.vvvv, size);
        }

        @Override
        boolean usesVvvv() {
            return true;
        }
    }

    /** The "+r" register in the low three opcode bits, extended by REX.B (PUSH r, MOV r,imm, BSWAP, XCHG). */
    static final class OpcodeReg extends OperandSpec {
        final SizeCode size;

        OpcodeReg(SizeCode size) {
            this.size = size;
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            return gpr(c, (c.opcode & 7) | c.rexB << 3, size.bytes(c));
        }
    }

    /** A register the opcode implies and the syntax shows: AL, eAX, rAX, CL, DX, a segment register, ST, XMM0. */
    static final class FixedReg extends OperandSpec {
        final RegClass regClass;
        final int number;
        final SizeCode size;

        FixedReg(RegClass regClass, int number, SizeCode size) {
            this.regClass = regClass;
            this.number = number;
            this.size = size;
        }

        /**
         * PUSH/POP of a segment register move operand-size bytes, and DX in IN/OUT/INS/OUTS is the port, not the
         * data: neither says how wide the operation is.
         */
        @Override
        boolean sizeless() {
            return regClass == RegClass.SEGMENT || regClass == RegClass.GPR && number == 2 && size == SizeCode.W;
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            return switch (regClass) {
                case XMM -> vector(number, size.vectorRegisterBytes(c));
                case X87 -> new Operand.Reg(RegClass.X87, number, 10);
                case SEGMENT -> new Operand.Reg(RegClass.SEGMENT, number, 2);
                default -> new Operand.Reg(regClass, number, size.bytes(c));
            };
        }
    }

    /** ST(i) in ModRM.rm of the x87 register forms. */
    static final class StackReg extends OperandSpec {
        @Override
        Operand decode(Cursor c) throws DecodeException {
            return new Operand.Reg(RegClass.X87, c.rm, 10);
        }

        @Override
        boolean usesModrm() {
            return true;
        }
    }

    /** I: an immediate of width b, w, d, z or v; {@code signExtend} for the "Ib sign-extended to v" forms. */
    static final class Immediate extends OperandSpec {
        final SizeCode size;
        final boolean signExtend;

        Immediate(SizeCode size, boolean signExtend) {
            this.size = size;
            this.signExtend = signExtend;
        }

        @Override
        int immediateBytes(Cursor c) {
            return size.bytes(c);
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            int n = size.bytes(c);
            long v = c.immediate(n);
            // Iz with a 64-bit operand size is an imm32 the CPU sign-extends; so are the explicit "Ibs" forms.
            if (signExtend || (size == SizeCode.Z && c.osize == 8)) {
                int shift = 64 - 8 * n;
                v = v << shift >> shift;
            }
            return new Operand.Imm(v, n);
        }

        @Override
        boolean sizeless() {
            return true;
        }
    }

    /** The constant 1 of the D0/D1 shift forms (shown by the syntax, not encoded). */
    static final class Constant extends OperandSpec {
        @Override
        Operand decode(Cursor c) throws DecodeException {
            return new Operand.Imm(1, 0);
        }

        @Override
        boolean sizeless() {
            return true;
        }
    }

    /** J: a relative displacement, resolved against the next instruction's address and wrapped to the operand size. */
    static final class Relative extends OperandSpec {
        final SizeCode size;

        Relative(SizeCode size) {
            this.size = size;
        }

        @Override
        int immediateBytes(Cursor c) {
            return size.bytes(c);
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            int n = size.bytes(c);
            long rel = c.immediate(n);
            int shift = 64 - 8 * n;
            rel = rel << shift >> shift;
            long target = c.address + c.length + rel;
            if (c.osize == 2) {
                target &= 0xFFFFL;
            } else if (c.osize == 4) {
                target &= 0xFFFF_FFFFL;
            }
            return new Operand.Rel(target, c.osize);
        }

        @Override
        boolean sizeless() {
            return true;
        }
    }

    /** A: a direct far pointer, offset (z) then selector (w). */
    static final class FarPointer extends OperandSpec {
        @Override
        int immediateBytes(Cursor c) {
            return SizeCode.Z.bytes(c) + 2;
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            int n = SizeCode.Z.bytes(c);
            long offset = c.immediate(n);
            int selector = (int) c.immediate(2);
            return new Operand.Far(selector, offset, n + 2);
        }

        @Override
        boolean sizeless() {
            return true;
        }
    }

    /** O: a memory offset of address-size width (MOV AL,moffs ...), no ModRM. */
    static final class MemoryOffset extends OperandSpec {
        final SizeCode size;

        MemoryOffset(SizeCode size) {
            this.size = size;
        }

        @Override
        int immediateBytes(Cursor c) {
            return c.asize;
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            long offset = c.immediate(c.asize);
            return new Operand.Mem(size.bytes(c), c.segmentFor(Segment.DS), Operand.Mem.NONE, Operand.Mem.NONE, 1,
                    offset, c.asize);
        }
    }

    /**
     * X (DS:rSI, segment overridable) and Y (ES:rDI, never overridden): string instruction operands; and XLAT's
     * DS:[rBX] (the AL index is implicit).
     */
    static final class StringMem extends OperandSpec {
        final boolean destination;
        final SizeCode size;
        final int base;

        StringMem(boolean destination, SizeCode size, int base) {
            this.destination = destination;
            this.size = size;
            this.base = base;
        }

        @Override
        Operand decode(Cursor c) {
            Segment segment = destination ? Segment.ES : c.segmentFor(Segment.DS);
            return new Operand.Mem(size.bytes(c), segment, base, Operand.Mem.NONE, 1, 0, c.asize);
        }
    }

    /** L: a vector register in bits 7:4 of an immediate byte (VEX "is4"). */
    static final class Is4Reg extends OperandSpec {
        final SizeCode size;

        Is4Reg(SizeCode size) {
            this.size = size;
        }

        @Override
        int immediateBytes(Cursor c) {
            return 1;
        }

        @Override
        Operand decode(Cursor c) throws DecodeException {
            int number = (int) c.immediate(1) >>> 4;
            if (c.mode != CodeSize.BITS64) {
                number &= 7;
            }
            return vector(number, size.vectorRegisterBytes(c));
        }
    }

    /** I4: the low nibble of the is4 byte, after an L operand that already consumed it (VPERMIL2PS). */
    static final class Is4Immediate extends OperandSpec {
        @Override
        Operand decode(Cursor c) {
            return new Operand.Imm(c.code[c.immPos - 1] & 0xF, 1);
        }

        @Override
        boolean sizeless() {
            return true;
        }
    }
}
