package io.jkvm.translator.decoder;

/**
 * The mutable state of decoding one instruction: position, prefixes, the VEX/EVEX/XOP fields, ModRM and the
 * decoded memory operand. One is allocated per decode; operand handlers read it, nothing else keeps it.
 */
final class Cursor {
    static final int MAX_LENGTH = 15;

    final byte[] code;
    final int start;
    /** One past the last byte that may be read (start + available, capped by the array). */
    final int limit;
    final long address;
    final CodeSize mode;
    int pos;

    // Legacy prefixes.
    int prefixes;
    /** 0, 0xF2 or 0xF3: the last of the two, which is the one the CPU honours. */
    int lastRep;
    boolean has66;
    boolean has67;
    /** Hardware number of the last segment override, or -1. */
    int segOverride = -1;
    boolean lock;
    boolean rex;
    int rexW, rexR, rexX, rexB;

    // Encoding space and extended prefix fields.
    Encoding encoding = Encoding.LEGACY;
    int map;
    int opcode;
    /** REX.W, VEX.W or EVEX.W: what the table's W column tests. */
    int w;
    int vexL;
    int vexPP;
    /** VEX.vvvv, already un-inverted (and masked to 3 bits outside 64-bit mode). */
    int vvvv;
    /** EVEX.R' (bit 4 of ModRM.reg) and EVEX.V' (bit 4 of vvvv), un-inverted. */
    int evexR2, evexV2;

    // ModRM.
    boolean hasModrm;
    int mod, reg, rm;

    // The memory operand.
    int memBase = Operand.Mem.NONE;
    int memIndex = Operand.Mem.NONE;
    int memScale = 1;
    long memDisp;
    boolean ripRelative;
    Segment memDefaultSegment = Segment.DS;

    // Sizes, known once the form is chosen.
    int osize;
    int asize;
    /** Vector length in bytes: 16 for legacy SSE and VEX.128, 32 for VEX.256, 64 for EVEX.512. */
    int vl = 16;

    /** Where the immediates start, and the total length once known. */
    int immPos;
    int length;

    Cursor(byte[] code, int offset, int available, long address, CodeSize mode) {
        this.code = code;
        this.start = offset;
        this.limit = offset + Math.max(0, Math.min(available, code.length - offset));
        this.address = address;
        this.mode = mode;
        this.pos = offset;
        int defaultAsize = mode.bytes();
        this.asize = defaultAsize;
    }

    enum Encoding { LEGACY, VEX, XOP, EVEX }

    /** Ensures {@code n} more bytes can be read at the current position. */
    void need(int n) throws DecodeException {
        int needed = pos - start + n;
        int capped = Math.min(needed, MAX_LENGTH);
        if (start + capped > limit) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, capped,
                    "needs " + capped + " bytes, " + (limit - start) + " available");
        }
        if (needed > MAX_LENGTH) {
            throw new DecodeException(DecodeException.Reason.TOO_LONG, 0,
                    "longer than " + MAX_LENGTH + " bytes");
        }
    }

    int next() throws DecodeException {
        need(1);
        return code[pos++] & 0xFF;
    }

    int peek() throws DecodeException {
        need(1);
        return code[pos] & 0xFF;
    }

    /** Reads {@code n} bytes little-endian at the immediate position, zero-extended. */
    long immediate(int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (code[immPos + i] & 0xFF);
        }
        immPos += n;
        return v;
    }

    private long readLittleEndian(int n) throws DecodeException {
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (code[pos + i] & 0xFF);
        }
        pos += n;
        return v;
    }

    void readModrm() throws DecodeException {
        int b = next();
        hasModrm = true;
        mod = b >> 6;
        reg = (b >> 3) & 7;
        rm = b & 7;
    }

    int regExtended(OperandSpec.RegKind kind) {
        return switch (kind) {
            case GPR, VECTOR, CONTROL, DEBUG, BND, MASK -> reg | rexR << 3 | evexR2 << 4;
            default -> reg;
        };
    }

    int rmExtended(OperandSpec.RegKind kind) {
        return switch (kind) {
            case GPR, VECTOR, BND -> rm | rexB << 3 | (encoding == Encoding.EVEX ? rexX << 4 : 0);
            default -> rm;
        };
    }

    /** Operand size for a candidate form: the prefixes, REX.W/VEX.W and the form's 64-bit defaults. */
    int osizeFor(Form f) {
        boolean opsize66 = has66 && f.prefix != Form.P66 && encoding == Encoding.LEGACY;
        if (mode == CodeSize.BITS64) {
            if (f.forced64 || w == 1 && encoding == Encoding.LEGACY) {
                return 8;
            }
            if (encoding != Encoding.LEGACY) {
                return w == 1 ? 8 : 4;
            }
            if (opsize66) {
                return 2;
            }
            return f.default64 ? 8 : 4;
        }
        if (encoding != Encoding.LEGACY) {
            return 4;
        }
        int base = mode == CodeSize.BITS16 ? 2 : 4;
        return opsize66 ? 6 - base : base;
    }

    /** Decodes SIB and displacement of a memory-form ModRM at the current address size. */
    void readMemory() throws DecodeException {
        if (asize == 2) {
            readMemory16();
            return;
        }
        int base;
        if (rm == 4) {
            int sib = next();
            memScale = 1 << (sib >> 6);
            int index = (sib >> 3) & 7 | rexX << 3;
            memIndex = index == 4 ? Operand.Mem.NONE : index;
            if (memIndex == Operand.Mem.NONE) {
                memScale = 1;
            }
            base = sib & 7;
            if (base == 5 && mod == 0) {
                memBase = Operand.Mem.NONE;
                memDisp = (int) readLittleEndian(4);
                return;
            }
            memBase = base | rexB << 3;
        } else if (rm == 5 && mod == 0) {
            memDisp = (int) readLittleEndian(4);
            if (mode == CodeSize.BITS64) {
                memBase = Operand.Mem.RIP;
                ripRelative = true;
            }
            return;
        } else {
            memBase = rm | rexB << 3;
        }
        if (memBase == 4 || memBase == 5) {
            memDefaultSegment = Segment.SS;
        }
        if (mod == 1) {
            memDisp = (byte) readLittleEndian(1);
        } else if (mod == 2) {
            memDisp = (int) readLittleEndian(4);
        }
    }

    // The eight 16-bit forms: [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx], as GPR numbers.
    private static final int[] BASE16 = {3, 3, 5, 5, 6, 7, 5, 3};
    private static final int[] INDEX16 = {6, 7, 6, 7, -1, -1, -1, -1};

    private void readMemory16() throws DecodeException {
        if (mod == 0 && rm == 6) {
            memDisp = (short) readLittleEndian(2);
            return;
        }
        memBase = BASE16[rm];
        memIndex = INDEX16[rm];
        if (memBase == 5) {
            memDefaultSegment = Segment.SS;
        }
        if (mod == 1) {
            memDisp = (byte) readLittleEndian(1);
        } else if (mod == 2) {
            memDisp = (short) readLittleEndian(2);
        }
    }

    /** The effective segment: an override (only FS/GS count in 64-bit mode), else {@code dflt}. */
    Segment segmentFor(Segment dflt) {
        if (segOverride >= 0 && (mode != CodeSize.BITS64 || segOverride >= 4)) {
            return Segment.of(segOverride);
        }
        return dflt;
    }

    Operand.Mem memory(int size) {
        long disp = memDisp;
        if (ripRelative) {
            disp = address + length + memDisp;
            if (asize == 4) {
                disp &= 0xFFFF_FFFFL;
            }
        }
        return new Operand.Mem(size, segmentFor(memDefaultSegment), memBase, memIndex, memScale, disp, asize);
    }
}
