package io.jkvm.translator.decoder;

import java.util.Arrays;

/**
 * One row of an opcode table: the conditions under which an opcode means this instruction (mandatory prefix,
 * ModRM.reg/mod/rm, REX.W or VEX.W, VEX.L, CPU mode, operand or address size) and how to decode it.
 */
final class Form {
    static final int ANY = -1;

    /** Mandatory-prefix columns; {@link #ANY} means the prefixes keep their legacy meaning. */
    static final int NP = 0, P66 = 1, PF3 = 2, PF2 = 3;
    /** The SDM's "NFx": no F2/F3, while 66 keeps its operand-size meaning. */
    static final int NFX = 4;

    final Mnemonic mnemonic;
    final int condition;
    final OperandSpec[] operands;
    final String source;

    int prefix = ANY;
    int reg = ANY;
    /** A ModRM.reg value this row excludes (MOV Sreg,r/m cannot load CS), or {@link #ANY}. */
    int regNot = ANY;
    int rm = ANY;
    /** {@link OperandSpec#MOD_MEM}, {@link OperandSpec#MOD_REG} or {@link #ANY}. */
    int mod = ANY;
    /** An exact ModRM.mod value 0-2 for rows that name a memory form byte (PREFETCHIT0's RIP-relative form). */
    int modValue = ANY;
    int w = ANY;
    /** Required VEX.L (or EVEX.L'L); {@link #ANY} for LIG. */
    int l = ANY;
    /** Bit set of allowed {@link CodeSize} ordinals. */
    int modes = 0b111;
    /** Required effective operand size in bytes (CBW/CWDE/CDQE), 0 for any. */
    int osize;
    /** Required effective address size in bytes (JCXZ/JECXZ/JRCXZ), 0 for any. */
    int asize;
    /** REX.B must be clear (plain 90 is NOP, 41 90 is XCHG r8d,eax). */
    boolean rexBClear;
    /** LOCK is allowed (with a memory destination). */
    boolean lockable;
    /** Default 64-bit operand size in 64-bit mode (PUSH, POP, ...). */
    boolean default64;
    /** 64-bit operand size in 64-bit mode whatever the prefixes (near branches, Intel64 behaviour). */
    boolean forced64;
    /** The ModRM mod bits are ignored and rm always names a register (MOV CR/DR). */
    boolean modIgnored;
    /** VEX.vvvv must be 1111b because no operand uses it. */
    boolean vvvvUnused = true;
    /** The memory operand is a VSIB (vector index) address, which needs a SIB byte. */
    boolean vsib;

    Form(Mnemonic mnemonic, int condition, OperandSpec[] operands, String source) {
        this.mnemonic = mnemonic;
        this.condition = condition;
        this.operands = operands;
        this.source = source;
        for (OperandSpec o : operands) {
            if (o.usesVvvv()) {
                vvvvUnused = false;
            }
        }
    }

    boolean usesModrm() {
        return Arrays.stream(operands).anyMatch(OperandSpec::usesModrm) || reg != ANY || mod != ANY || rm != ANY;
    }

    /** How many conditions this row states beyond the opcode: more specific rows are tried first. */
    int specificity() {
        int n = 0;
        for (int v : new int[] {reg, rm, mod, w, l}) {
            if (v != ANY) {
                n++;
            }
        }
        if (modes != 0b111) n++;
        if (osize != 0) n++;
        if (asize != 0) n++;
        if (rexBClear) n++;
        if (vsib) n++;
        if (modValue != ANY) n++;
        return n;
    }

    boolean matches(Cursor c) {
        if (reg != ANY && reg != c.reg) return false;
        if (regNot != ANY && regNot == c.reg) return false;
        if (rm != ANY && rm != c.rm) return false;
        if (mod != ANY && mod != (c.mod == 3 ? OperandSpec.MOD_REG : OperandSpec.MOD_MEM)) return false;
        if (w != ANY && w != c.w) return false;
        if (l != ANY && l != c.vexL) return false;
        if ((modes & (1 << c.mode.ordinal())) == 0) return false;
        if (osize != 0 && osize != c.osizeFor(this)) return false;
        if (asize != 0 && asize != c.asize) return false;
        if (rexBClear && c.rexB != 0) return false;
        if (vsib && c.rm != 4) return false;
        if (modValue != ANY && modValue != c.mod) return false;
        return true;
    }

    @Override
    public String toString() {
        return source;
    }
}
