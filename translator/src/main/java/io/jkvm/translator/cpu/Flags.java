package io.jkvm.translator.cpu;

/**
 * Lazy condition codes: the single definition of how x86 arithmetic flags derive from an operation.
 *
 * <p>Instructions do not compute RFLAGS. They record the operation ({@code op}: kind and size) with its result
 * ({@code dst}) and operands ({@code src}, {@code src2}); flags are derived only when something reads them. Most
 * readers are a Jcc/SETcc/CMOVcc right after a CMP/TEST/SUB in the same block, which the translator specialises
 * into a plain comparison; everything else (PUSHF, ADC after an unknown producer, flags at an interrupt) comes here.
 * This is QEMU's "CC_OP" scheme; 52% of hot guest instructions write flags and almost none of those are read.
 *
 * <p>Encoding of {@code op}: {@code kind << 2 | log2(size)}.
 */
public final class Flags {
    public static final long CF = 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
            DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
            VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
    /** The six arithmetic flags, owned by the lazy state. */
    public static final long ARITH = CF | PF | AF | ZF | SF | OF;
    /** Bit 1 always reads as one. */
    public static final long FIXED = 2;

    // Operation kinds. dst = result in all of them.
    /** Flags are stored verbatim in {@code src} (ARITH bits). */
    public static final int EFLAGS = 0;
    /** src = second operand. */
    public static final int ADD = 1;
    /** src = second operand, src2 = carry in (0 or 1). */
    public static final int ADC = 2;
    /** src = second operand (subtrahend). */
    public static final int SUB = 3;
    /** src = subtrahend, src2 = borrow in. */
    public static final int SBB = 4;
    /** AND/OR/XOR/TEST: CF=OF=0, AF undefined (0). */
    public static final int LOGIC = 5;
    /** src = CF before (INC keeps CF). */
    public static final int INC = 6;
    public static final int DEC = 7;
    /** src = value shifted by count-1 (its top bit is CF); src2 = original value (for OF). */
    public static final int SHL = 8;
    /** src = value shifted by count-1 (its low bit is CF); src2 = original value (for OF). */
    public static final int SHR = 9;
    /** src = value shifted by count-1. OF=0. */
    public static final int SAR = 10;
    /** src = non-zero when the high half is significant (CF=OF=1). SF/ZF/PF from dst (as modern CPUs). */
    public static final int MUL = 11;
    /** NEG: src = operand. CF = src != 0. */
    public static final int NEG = 12;

    private Flags() {
    }

    public static int op(int kind, int sizeBytes) {
        return kind << 2 | Integer.numberOfTrailingZeros(sizeBytes);
    }

    public static int kind(int op) {
        return op >>> 2;
    }

    /** Operand size in bytes. */
    public static int size(int op) {
        return 1 << (op & 3);
    }

    /** All-ones mask of an operand of {@code size} bytes. */
    public static long mask(int size) {
        return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }

    /** The sign bit of an operand of {@code size} bytes. */
    public static long signBit(int size) {
        return 1L << (size * 8 - 1);
    }

    /** Sign-extends the low {@code size} bytes of {@code v}. */
    public static long sext(long v, int size) {
        int shift = 64 - size * 8;
        return v << shift >> shift;
    }

    /** Computes the six arithmetic flags (as RFLAGS bits) of a lazy state. */
    public static long compute(int op, long dst, long src, long src2) {
        return cf(op, dst, src, src2) | pf(op, dst, src) | af(op, dst, src, src2) | zf(op, dst, src)
                | sf(op, dst, src) | of(op, dst, src, src2);
    }

    public static long cf(int op, long dst, long src, long src2) {
        int size = size(op);
        long m = mask(size);
        switch (kind(op)) {
            case EFLAGS:
                return src & CF;
            case ADD:
                return Long.compareUnsigned(dst & m, src & m) < 0 ? CF : 0;
            case ADC:
                return (src2 != 0 ? Long.compareUnsigned(dst & m, src & m) <= 0
                        : Long.compareUnsigned(dst & m, src & m) < 0) ? CF : 0;
            case SUB: {
                long a = (dst + src) & m;
                return Long.compareUnsigned(a, src & m) < 0 ? CF : 0;
            }
            case SBB: {
                long a = (dst + src + src2) & m;
                return (src2 != 0 ? Long.compareUnsigned(a, src & m) <= 0
                        : Long.compareUnsigned(a, src & m) < 0) ? CF : 0;
            }
            case LOGIC:
                return 0;
            case INC:
            case DEC:
                return src & CF;
            case SHL:
                return (src & signBit(size)) != 0 ? CF : 0;
            case SHR:
            case SAR:
                return src & 1;
            case MUL:
                return src != 0 ? CF : 0;
            case NEG:
                return (src & m) != 0 ? CF : 0;
            default:
                throw new IllegalStateException("bad lazy flags op " + op);
        }
    }

    public static long zf(int op, long dst, long src) {
        if (kind(op) == EFLAGS) {
            return src & ZF;
        }
        return (dst & mask(size(op))) == 0 ? ZF : 0;
    }

    public static long sf(int op, long dst, long src) {
        if (kind(op) == EFLAGS) {
            return src & SF;
        }
        return (dst & signBit(size(op))) != 0 ? SF : 0;
    }

    public static long pf(int op, long dst, long src) {
        if (kind(op) == EFLAGS) {
            return src & PF;
        }
        return (Integer.bitCount((int) dst & 0xff) & 1) == 0 ? PF : 0;
    }

    public static long af(int op, long dst, long src, long src2) {
        switch (kind(op)) {
            case EFLAGS:
                return src & AF;
            case ADD:
            case ADC:
            case SUB:
            case SBB: {
                long a = kind(op) <= ADC ? dst - src - (kind(op) == ADC ? src2 : 0) : dst + src + (kind(op) == SBB ? src2 : 0);
                return ((a ^ src ^ dst) & 0x10) != 0 ? AF : 0;
            }
            case INC:
                return (dst & 0xf) == 0 ? AF : 0;
            case DEC:
                return (dst & 0xf) == 0xf ? AF : 0;
            case NEG:
                return ((dst ^ src) & 0x10) != 0 ? AF : 0;
            default:
                // LOGIC, shifts, MUL: AF is undefined; real CPUs leave it clear for these.
                return 0;
        }
    }

    public static long of(int op, long dst, long src, long src2) {
        int size = size(op);
        long sign = signBit(size);
        switch (kind(op)) {
            case EFLAGS:
                return src & OF;
            case ADD:
            case ADC: {
                long a = dst - src - (kind(op) == ADC ? src2 : 0);
                return ((a ^ dst) & (src ^ dst) & sign) != 0 ? OF : 0;
            }
            case SUB:
            case SBB: {
                long a = dst + src + (kind(op) == SBB ? src2 : 0);
                return ((a ^ src) & (a ^ dst) & sign) != 0 ? OF : 0;
            }
            case LOGIC:
            case SAR:
                return 0;
            case INC:
                return (dst & mask(size)) == sign ? OF : 0;
            case DEC:
                return (dst & mask(size)) == sign - 1 ? OF : 0;
            case SHL:
                // OF = MSB(result) XOR CF (defined for count 1; what CPUs produce for other counts too).
                return (((dst ^ src) & sign) != 0) ? OF : 0;
            case SHR:
                // OF = MSB of the original operand (defined for count 1).
                return (src2 & sign) != 0 ? OF : 0;
            case MUL:
                return src != 0 ? OF : 0;
            case NEG:
                return (dst & mask(size)) == sign ? OF : 0;
            default:
                throw new IllegalStateException("bad lazy flags op " + op);
        }
    }

    /**
     * Evaluates x86 condition code {@code cc} (0-15: O NO B AE E NE BE A S NS P NP L GE LE G) on a lazy state.
     * Specialised comparisons for known producers are emitted by the translator; this is the general case.
     */
    public static boolean condition(int cc, int op, long dst, long src, long src2) {
        boolean r;
        switch (cc >>> 1) {
            case 0 -> r = of(op, dst, src, src2) != 0;
            case 1 -> r = cf(op, dst, src, src2) != 0;
            case 2 -> r = zf(op, dst, src) != 0;
            case 3 -> r = cf(op, dst, src, src2) != 0 || zf(op, dst, src) != 0;
            case 4 -> r = sf(op, dst, src) != 0;
            case 5 -> r = pf(op, dst, src) != 0;
            case 6 -> r = (sf(op, dst, src) != 0) != (of(op, dst, src, src2) != 0);
            default -> r = zf(op, dst, src) != 0 || (sf(op, dst, src) != 0) != (of(op, dst, src, src2) != 0);
        }
        return r ^ ((cc & 1) != 0);
    }
}
