package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.Prefix;
import io.jkvm.translator.decoder.Rflags;

/**
 * Which arithmetic flags are undefined after an instruction, from the decoder's per-mnemonic tables
 * ({@link Mnemonic#flagsWritten()}, {@link Mnemonic#flagsUndefined()}) refined where the SDM makes the rule depend
 * on the operands:
 * <ul>
 * <li>shifts and rotates by a masked count of 0 change no flags; a count of 1 defines OF (SAL/SAR/SHL/SHR, ROL/ROR,
 *     RCL/RCR); SHL/SHR leave CF undefined when the count is at least the operand width (only possible for 8- and
 *     16-bit operands); RCL/RCR by a multiple of width + 1 rotate nothing and so leave CF as it was;
 * <li>SHLD/SHRD by 0 change nothing; by more than the operand width (16-bit operands only) every flag is
 *     undefined (and so is the destination: see {@link UndefinedBehaviour});
 * <li>CMPS/SCAS with a REP prefix may execute no iteration and then write no flag.
 * </ul>
 * When the count is in CL and not known (the static analysis of a whole case), the flags an instruction may leave
 * undefined are added and the flags it may not write keep their state: the result is a superset of the flags that
 * are undefined on any execution.
 */
final class FlagFlow {
    static final int ARITH = Rflags.OSZAPC;
    /** Marks a count that is only known at run time. */
    static final long DYNAMIC = Long.MIN_VALUE;

    /** The facts about one instruction that decide its flag behaviour. */
    record Effect(Mnemonic mnemonic, int condition, int size, long count, boolean rep) {
    }

    private FlagFlow() {
    }

    /** The effect of a decoded instruction; a count in a register is {@link #DYNAMIC}. */
    static Effect of(Instruction i) {
        return of(i, DYNAMIC);
    }

    /** As {@link #of(Instruction)}, with {@code cl} the value of CL before the instruction when known. */
    static Effect of(Instruction i, long cl) {
        Mnemonic m = i.mnemonic();
        long count = DYNAMIC;
        int countOperand = switch (m) {
            case SHL, SAL, SHR, SAR, ROL, ROR, RCL, RCR -> 1;
            case SHLD, SHRD -> 2;
            default -> -1;
        };
        if (countOperand >= 0) {
            if (i.operands().size() <= countOperand) {
                count = 1;
            } else if (i.operand(countOperand) instanceof Operand.Imm imm) {
                count = imm.value() & 0xff;
            } else {
                count = cl == DYNAMIC ? DYNAMIC : cl & 0xff;
            }
        }
        boolean rep = i.has(Prefix.REP) || i.has(Prefix.REPNE);
        return new Effect(m, i.condition(), i.operandSize(), count, rep);
    }

    /** The arithmetic flags {@code e} reads. */
    static int reads(Effect e) {
        return switch (e.mnemonic) {
            case JCC, SETCC, CMOVCC -> Rflags.readByCondition(e.condition);
            default -> e.mnemonic.flagsRead() & ARITH;
        };
    }

    /** The undefined arithmetic flags after {@code e}, given those undefined before it. */
    static int after(Effect e, int before) {
        Mnemonic m = e.mnemonic;
        int written = m.flagsWritten() & ARITH;
        int undefined = m.flagsUndefined() & ARITH;
        int bits = e.size * 8;
        int mask = e.size == 8 ? 0x3f : 0x1f;
        switch (m) {
            case SHL, SAL, SHR, SAR -> {
                if (e.count == DYNAMIC) {
                    return before | Rflags.OF | Rflags.AF | (m != Mnemonic.SAR && bits < 32 ? Rflags.CF : 0);
                }
                long c = e.count & mask;
                if (c == 0) {
                    return before;
                }
                int u = Rflags.AF | (c == 1 ? 0 : Rflags.OF) | (m != Mnemonic.SAR && c >= bits ? Rflags.CF : 0);
                return (before & ~written) | u;
            }
            case ROL, ROR, RCL, RCR -> {
                if (e.count == DYNAMIC) {
                    return before | Rflags.OF;
                }
                long c = e.count & mask;
                if (c == 0) {
                    return before;
                }
                boolean throughCarry = m == Mnemonic.RCL || m == Mnemonic.RCR;
                long rotated = throughCarry && bits < 32 ? c % (bits + 1) : c;
                int defined = (c == 1 ? Rflags.OF : 0) | (rotated != 0 || !throughCarry ? Rflags.CF : 0);
                return (before & ~defined) | (c == 1 ? 0 : Rflags.OF);
            }
            case SHLD, SHRD -> {
                if (e.count == DYNAMIC) {
                    return before | Rflags.OF | Rflags.AF | (bits == 16 ? ARITH : 0);
                }
                long c = e.count & mask;
                if (c == 0) {
                    return before;
                }
                if (c > bits) {
                    return ARITH;
                }
                return (before & ~written) | Rflags.AF | (c == 1 ? 0 : Rflags.OF);
            }
            case CMPS, SCAS -> {
                if (e.rep) {
                    return before;
                }
                return (before & ~written) | undefined;
            }
            default -> {
                return (before & ~written) | undefined;
            }
        }
    }
}
