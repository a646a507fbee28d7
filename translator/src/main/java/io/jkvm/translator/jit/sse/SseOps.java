package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.jit.Emitter;
import io.jkvm.translator.jit.Untranslatable;

import java.util.Map;

import static io.jkvm.translator.decoder.Mnemonic.*;
import static org.objectweb.asm.Opcodes.*;

/**
 * SSE/SSE2 (the x86-64 baseline) and the x87/MMX state instructions compilers emit around it, as bytecode emitters.
 *
 * <p>Every emitter has the same shape: the run-time #UD/#NM test ({@link SseChecks}), then the source operands
 * loaded onto the JVM stack (XMM halves from {@code cpu.xmm}, memory through the TLB fast path, 16-byte alignment
 * checked where the instruction requires it), then either a few bytecodes (moves, bitwise logic) or one call to the
 * instruction's semantics ({@link SseFloat}, {@link SseConvert}, {@link SseInt}, {@link FxState}), which C2 inlines.
 * The tables below say which semantics each mnemonic uses and how its operands are shaped; nothing else differs.
 *
 * <p>MMX-register forms of the shared integer mnemonics are not translated ({@link Untranslatable}: the region ends
 * before them and they raise #UD), nor are the SSE4.1 forms that share a name (PEXTRW to memory).
 */
public final class SseOps {
    private static final String CPU_DESC = "L" + XmmGen.CPU + ";";
    private static final String PORT_DESC = "L" + XmmGen.PORT + ";";

    private final GenAccess access;

    private SseOps(GenAccess access) {
        this.access = access;
    }

    /** A piece of emitter code working on one instruction's {@link XmmGen}. */
    @FunctionalInterface
    private interface Body {
        void emit(XmmGen x);
    }

    private Emitter sse(Body body) {
        return emitter("sse", body);
    }

    private Emitter emitter(String check, Body body) {
        return (g, insn) -> {
            XmmGen x = new XmmGen(g, insn, access);
            if (check != null) {
                x.check(check);
            }
            body.emit(x);
        };
    }

    /** Registers every SSE, SSE2 and x87/MMX-state emitter in {@code table}. */
    public static void register(Map<Mnemonic, Emitter> table, GenAccess access) {
        new SseOps(access).registerAll(table);
    }

    private void registerAll(Map<Mnemonic, Emitter> t) {
        arithmetic(t, ADDPS, ADDPD, ADDSS, ADDSD, SUBPS, SUBPD, SUBSS, SUBSD, MULPS, MULPD, MULSS, MULSD,
                DIVPS, DIVPD, DIVSS, DIVSD, MINPS, MINPD, MINSS, MINSD, MAXPS, MAXPD, MAXSS, MAXSD);
        t.put(SQRTPS, packed(SseFloat.class, "sqrtps"));
        t.put(SQRTPD, packed(SseFloat.class, "sqrtpd"));
        t.put(SQRTSS, low(SseFloat.class, "sqrtss", 4));
        t.put(SQRTSD, low(SseFloat.class, "sqrtsd", 8));
        t.put(RCPPS, packed(SseFloat.class, "rcpps"));
        t.put(RCPSS, low(SseFloat.class, "rcpss", 4));
        t.put(RSQRTPS, packed(SseFloat.class, "rsqrtps"));
        t.put(RSQRTSS, low(SseFloat.class, "rsqrtss", 4));
        t.put(CMPPS, packedImm(SseFloat.class, "cmpps"));
        t.put(CMPPD, packedImm(SseFloat.class, "cmppd"));
        t.put(CMPSS, lowImm(SseFloat.class, "cmpss", 4));
        t.put(CMPSD, lowImm(SseFloat.class, "cmpsd", 8));
        t.put(COMISS, compareFlags("comiss", 4, true));
        t.put(UCOMISS, compareFlags("comiss", 4, false));
        t.put(COMISD, compareFlags("comisd", 8, true));
        t.put(UCOMISD, compareFlags("comisd", 8, false));

        for (Mnemonic m : new Mnemonic[]{ANDPS, ANDPD, PAND}) {
            t.put(m, bitwise(LAND));
        }
        for (Mnemonic m : new Mnemonic[]{ORPS, ORPD, POR}) {
            t.put(m, bitwise(LOR));
        }
        for (Mnemonic m : new Mnemonic[]{XORPS, XORPD, PXOR}) {
            t.put(m, bitwise(LXOR));
        }
        for (Mnemonic m : new Mnemonic[]{ANDNPS, ANDNPD, PANDN}) {
            t.put(m, lanewise("pandn"));
        }

        conversions(t);
        shuffles(t);
        integer(t);
        moves(t);
        state(t);
    }

    // ------------------------------------------------------------------ shapes

    /**
     * ADD/SUB/MUL/DIV/MIN/MAX in their PS, PD, SS and SD forms: each has its own entry point in {@link SseFloat}
     * named after the mnemonic (see there why they are not one method with the operation as a parameter).
     */
    private void arithmetic(Map<Mnemonic, Emitter> t, Mnemonic... forms) {
        for (Mnemonic m : forms) {
            String name = m.name().toLowerCase(java.util.Locale.ROOT);
            boolean packed = name.charAt(name.length() - 2) == 'p';
            t.put(m, packed ? packed(SseFloat.class, name) : low(SseFloat.class, name, name.endsWith("sd") ? 8 : 4));
        }
    }

    /** {@code owner.name(cpu, dst, srcLow, srcHigh)} with an aligned 128-bit source. */
    private Emitter packed(Class<?> owner, String name) {
        return sse(x -> {
            x.cpu();
            x.g.iconst(x.xmm(0));
            x.source128(1, true);
            x.call(owner, name, "(" + CPU_DESC + "IJJ)V");
        });
    }

    /** {@code owner.name(cpu, dst, srcLow, srcHigh, imm8)}. */
    private Emitter packedImm(Class<?> owner, String name) {
        return sse(x -> {
            x.cpu();
            x.g.iconst(x.xmm(0));
            x.source128(1, true);
            x.g.iconst(x.imm(2));
            x.call(owner, name, "(" + CPU_DESC + "IJJI)V");
        });
    }

    /** {@code owner.name(cpu, dst, srcLow, srcHigh, flag)} with a constant flag (high/low unpacks, truncation). */
    private Emitter packedFlag(Class<?> owner, String name, boolean flag) {
        return sse(x -> {
            x.cpu();
            x.g.iconst(x.xmm(0));
            x.source128(1, true);
            x.g.iconst(flag ? 1 : 0);
            x.call(owner, name, "(" + CPU_DESC + "IJJZ)V");
        });
    }

    /** {@code owner.name(cpu, dst, src)} with the low {@code size} bytes of an XMM register or memory. */
    private Emitter low(Class<?> owner, String name, int size) {
        return sse(x -> {
            x.cpu();
            x.g.iconst(x.xmm(0));
            x.sourceLow(1, size);
            x.call(owner, name, "(" + CPU_DESC + "IJ)V");
        });
    }

    private Emitter lowImm(Class<?> owner, String name, int size) {
        return sse(x -> {
            x.cpu();
            x.g.iconst(x.xmm(0));
            x.sourceLow(1, size);
            x.g.iconst(x.imm(2));
            x.call(owner, name, "(" + CPU_DESC + "IJI)V");
        });
    }

    /** (U)COMISS/SD: the flags as the lazy "EFLAGS" form (ZF, PF, CF computed; OF, SF, AF cleared). */
    private Emitter compareFlags(String method, int size, boolean signalling) {
        return sse(x -> {
            x.cpu();
            x.loadXmm(x.xmm(0), 0);
            x.sourceLow(1, size);
            x.g.iconst(signalling ? 1 : 0);
            x.call(SseFloat.class, method, "(" + CPU_DESC + "JJZ)J");
            int f = x.g.temp();
            x.g.lstore(f);
            x.g.setFlags(Flags.EFLAGS, 8, -1, f, -1);
        });
    }

    /** PAND/POR/PXOR and the PS/PD logic: one JVM bitwise opcode per half, no call. */
    private Emitter bitwise(int opcode) {
        return sse(x -> {
            int d = x.xmm(0);
            int b0 = x.g.temp(), b1 = x.g.temp();
            x.source128(1, true);
            x.g.lstore(b1);
            x.g.lstore(b0);
            for (int half = 0; half < 2; half++) {
                x.loadXmm(d, half);
                x.g.lload(half == 0 ? b0 : b1);
                x.mv.visitInsn(opcode);
                x.storeXmm(d, half);
            }
        });
    }

    /** An {@link SseInt} function of one 64-bit half of each operand, applied to both halves. */
    private Emitter lanewise(String name) {
        requireLanewise(name);
        return sse(x -> {
            int d = x.xmm(0);
            int b0 = x.g.temp(), b1 = x.g.temp();
            x.source128(1, true);
            x.g.lstore(b1);
            x.g.lstore(b0);
            for (int half = 0; half < 2; half++) {
                x.loadXmm(d, half);
                x.g.lload(half == 0 ? b0 : b1);
                x.call(SseInt.class, name, "(JJ)J");
                x.storeXmm(d, half);
            }
        });
    }

    /** PSLL/PSRL/PSRA: the count is an imm8, or the whole low quadword of an XMM register or aligned m128. */
    private Emitter shift(String name) {
        requireLanewise(name);
        return sse(x -> {
            int d = x.xmm(0);
            int count = x.g.temp();
            if (x.insn.operand(1) instanceof Operand.Imm) {
                x.g.lconst(x.imm(1));
            } else {
                x.source128(1, true);
                x.mv.visitInsn(POP2);
            }
            x.g.lstore(count);
            for (int half = 0; half < 2; half++) {
                x.loadXmm(d, half);
                x.g.lload(count);
                x.call(SseInt.class, name, "(JJ)J");
                x.storeXmm(d, half);
            }
        });
    }

    private static void requireLanewise(String name) {
        try {
            SseInt.class.getMethod(name, long.class, long.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("SseInt." + name + "(long, long) is missing", e);
        }
    }

    // ------------------------------------------------------------------ conversions

    private void conversions(Map<Mnemonic, Emitter> t) {
        t.put(CVTSI2SS, fromInteger("cvtsi2ss"));
        t.put(CVTSI2SD, fromInteger("cvtsi2sd"));
        t.put(CVTSS2SI, toInteger("ss2si", 4, false));
        t.put(CVTTSS2SI, toInteger("ss2si", 4, true));
        t.put(CVTSD2SI, toInteger("sd2si", 8, false));
        t.put(CVTTSD2SI, toInteger("sd2si", 8, true));
        t.put(CVTSS2SD, low(SseConvert.class, "cvtss2sd", 4));
        t.put(CVTSD2SS, low(SseConvert.class, "cvtsd2ss", 8));
        t.put(CVTPS2PD, low(SseConvert.class, "cvtps2pd", 8));
        t.put(CVTPD2PS, packed(SseConvert.class, "cvtpd2ps"));
        t.put(CVTDQ2PS, packed(SseConvert.class, "cvtdq2ps"));
        t.put(CVTDQ2PD, low(SseConvert.class, "cvtdq2pd", 8));
        t.put(CVTPS2DQ, packedFlag(SseConvert.class, "ps2dq", false));
        t.put(CVTTPS2DQ, packedFlag(SseConvert.class, "ps2dq", true));
        t.put(CVTPD2DQ, packedFlag(SseConvert.class, "pd2dq", false));
        t.put(CVTTPD2DQ, packedFlag(SseConvert.class, "pd2dq", true));
    }

    /** CVTSI2SS/SD xmm, r/m32 or r/m64: the integer sign-extended to 64 bits. */
    private Emitter fromInteger(String method) {
        return sse(x -> {
            x.cpu();
            x.g.iconst(x.xmm(0));
            x.loadGeneral(1);
            x.g.sext(x.insn.operand(1).size());
            x.call(SseConvert.class, method, "(" + CPU_DESC + "IJ)V");
        });
    }

    /** CVT(T)SS2SI / CVT(T)SD2SI r32/r64, xmm/m. */
    private Emitter toInteger(String method, int sourceSize, boolean truncate) {
        return sse(x -> {
            x.cpu();
            x.sourceLow(1, sourceSize);
            x.g.iconst(x.insn.operand(0).size() * 8);
            x.g.iconst(truncate ? 1 : 0);
            x.call(SseConvert.class, method, "(" + CPU_DESC + "JIZ)J");
            x.storeGeneral(0);
        });
    }

    // ------------------------------------------------------------------ shuffles, unpacks, packs

    private void shuffles(Map<Mnemonic, Emitter> t) {
        t.put(SHUFPS, packedImm(SseInt.class, "shufps"));
        t.put(SHUFPD, packedImm(SseInt.class, "shufpd"));
        t.put(PSHUFD, packedImm(SseInt.class, "pshufd"));
        t.put(PSHUFLW, packedImm(SseInt.class, "pshuflw"));
        t.put(PSHUFHW, packedImm(SseInt.class, "pshufhw"));
        t.put(UNPCKLPS, packedFlag(SseInt.class, "punpckdq", false));
        t.put(UNPCKHPS, packedFlag(SseInt.class, "punpckdq", true));
        t.put(UNPCKLPD, packedFlag(SseInt.class, "punpckqdq", false));
        t.put(UNPCKHPD, packedFlag(SseInt.class, "punpckqdq", true));
        t.put(PUNPCKLBW, packedFlag(SseInt.class, "punpckbw", false));
        t.put(PUNPCKHBW, packedFlag(SseInt.class, "punpckbw", true));
        t.put(PUNPCKLWD, packedFlag(SseInt.class, "punpckwd", false));
        t.put(PUNPCKHWD, packedFlag(SseInt.class, "punpckwd", true));
        t.put(PUNPCKLDQ, packedFlag(SseInt.class, "punpckdq", false));
        t.put(PUNPCKHDQ, packedFlag(SseInt.class, "punpckdq", true));
        t.put(PUNPCKLQDQ, packedFlag(SseInt.class, "punpckqdq", false));
        t.put(PUNPCKHQDQ, packedFlag(SseInt.class, "punpckqdq", true));
        t.put(PACKSSWB, packed(SseInt.class, "packsswb"));
        t.put(PACKUSWB, packed(SseInt.class, "packuswb"));
        t.put(PACKSSDW, packed(SseInt.class, "packssdw"));
    }

    // ------------------------------------------------------------------ SSE2 integer

    /** Integer mnemonics whose semantics is the lanewise SseInt function of the same (lower-case) name. */
    private static final Mnemonic[] LANEWISE = {
            PADDB, PADDW, PADDD, PADDQ, PSUBB, PSUBW, PSUBD, PSUBQ,
            PADDSB, PADDSW, PADDUSB, PADDUSW, PSUBSB, PSUBSW, PSUBUSB, PSUBUSW,
            PMULLW, PMULHW, PMULHUW, PMULUDQ, PMADDWD,
            PCMPEQB, PCMPEQW, PCMPEQD, PCMPGTB, PCMPGTW, PCMPGTD,
            PMINUB, PMAXUB, PMINSW, PMAXSW, PAVGB, PAVGW, PSADBW};
    private static final Mnemonic[] SHIFTS = {PSLLW, PSLLD, PSLLQ, PSRLW, PSRLD, PSRLQ, PSRAW, PSRAD};

    private void integer(Map<Mnemonic, Emitter> t) {
        for (Mnemonic m : LANEWISE) {
            t.put(m, lanewise(m.name().toLowerCase(java.util.Locale.ROOT)));
        }
        for (Mnemonic m : SHIFTS) {
            t.put(m, shift(m.name().toLowerCase(java.util.Locale.ROOT)));
        }
        t.put(PSLLDQ, sse(x -> byteShift(x, "pslldq")));
        t.put(PSRLDQ, sse(x -> byteShift(x, "psrldq")));
        t.put(PINSRW, sse(x -> {
            x.cpu();
            x.g.iconst(x.xmm(0));
            Operand src = x.insn.operand(1);
            x.g.loc(src, src instanceof Operand.Mem ? 2 : src.size()).load();
            x.g.iconst(x.imm(2));
            x.call(SseInt.class, "pinsrw", "(" + CPU_DESC + "IJI)V");
        }));
        t.put(PEXTRW, sse(x -> {
            int s = x.xmm(1);
            if (x.isMemory(0)) {
                throw new Untranslatable("PEXTRW to memory is SSE4.1");
            }
            x.loadXmm(s, 0);
            x.loadXmm(s, 1);
            x.g.iconst(x.imm(2));
            x.call(SseInt.class, "pextrw", "(JJI)J");
            x.storeGeneral(0);
        }));
        t.put(PMOVMSKB, signMask("pmovmskb"));
        t.put(MOVMSKPS, signMask("movmskps"));
        t.put(MOVMSKPD, signMask("movmskpd"));
    }

    private static void byteShift(XmmGen x, String method) {
        x.cpu();
        x.g.iconst(x.xmm(0));
        x.g.iconst(x.imm(1));
        x.call(SseInt.class, method, "(" + CPU_DESC + "II)V");
    }

    private Emitter signMask(String method) {
        return sse(x -> {
            int s = x.xmm(1);
            x.loadXmm(s, 0);
            x.loadXmm(s, 1);
            x.call(SseInt.class, method, "(JJ)J");
            x.storeGeneral(0);
        });
    }

    // ------------------------------------------------------------------ moves

    private void moves(Map<Mnemonic, Emitter> t) {
        for (Mnemonic m : new Mnemonic[]{MOVAPS, MOVAPD, MOVDQA, MOVNTPS, MOVNTPD, MOVNTDQ}) {
            t.put(m, sse(x -> move128(x, true)));
        }
        for (Mnemonic m : new Mnemonic[]{MOVUPS, MOVUPD, MOVDQU}) {
            t.put(m, sse(x -> move128(x, false)));
        }
        t.put(MOVSS, sse(x -> moveScalar(x, 4)));
        t.put(MOVSD, sse(x -> moveScalar(x, 8)));
        t.put(MOVD, sse(SseOps::moveDq));
        t.put(MOVQ, sse(SseOps::moveDq));
        t.put(MOVLPS, sse(x -> moveHalf(x, 0)));
        t.put(MOVLPD, sse(x -> moveHalf(x, 0)));
        t.put(MOVHPS, sse(x -> moveHalf(x, 1)));
        t.put(MOVHPD, sse(x -> moveHalf(x, 1)));
        t.put(MOVHLPS, sse(x -> {
            x.loadXmm(x.xmm(1), 1);
            x.storeXmm(x.xmm(0), 0);
        }));
        t.put(MOVLHPS, sse(x -> {
            x.loadXmm(x.xmm(1), 0);
            x.storeXmm(x.xmm(0), 1);
        }));
        // MOVNTI is SSE2 but a general-purpose store: no CR0/CR4 test applies.
        t.put(MOVNTI, emitter(null, x -> {
            x.loadGeneral(1);
            x.storeGeneral(0);
        }));
        t.put(MASKMOVDQU, sse(SseOps::maskmovdqu));
    }

    /** MOVAPS/MOVUPS/MOVDQA/MOVNT*: register or memory to register or memory, 16 bytes. */
    private static void move128(XmmGen x, boolean aligned) {
        if (x.isMemory(0)) {
            int s = x.xmm(1);
            int a = x.address(0, aligned);
            // Unaligned, the 16 bytes may cross a page: then store them through the slow path, which checks both
            // pages first (two 8-byte stores could leave the first half written when the second faults).
            if (!aligned) {
                x.g.alignmentCheck16(a);
            }
            org.objectweb.asm.Label done = aligned ? null
                    : x.g.store128IfCrossingPage(a, () -> x.loadXmm(s, 0), () -> x.loadXmm(s, 1));
            int h = x.plus8(a);
            x.loadXmm(s, 0);
            x.g.storeMem(a, 8);
            x.loadXmm(s, 1);
            x.g.storeMem(h, 8);
            if (done != null) {
                x.g.placeLabel(done);
            }
            return;
        }
        int d = x.xmm(0);
        x.source128(1, aligned);
        x.storeXmm(d, 1);
        x.storeXmm(d, 0);
    }

    /** MOVSS/MOVSD: register merge, zero-extending load, or store of the low element. */
    private static void moveScalar(XmmGen x, int size) {
        if (x.isMemory(0)) {
            x.loadXmm(x.xmm(1), 0);
            x.g.storeMem(x.address(0, false), size);
            return;
        }
        int d = x.xmm(0);
        if (x.isMemory(1)) {
            x.sourceLow(1, size);
            x.storeXmm(d, 0);
            x.g.lconst(0);
            x.storeXmm(d, 1);
            return;
        }
        x.loadXmm(x.xmm(1), 0);
        if (size == 4) {
            x.g.mask(4);
            x.loadXmm(d, 0);
            x.g.lconst(0xffff_ffff_0000_0000L);
            x.mv.visitInsn(LAND);
            x.mv.visitInsn(LOR);
        }
        x.storeXmm(d, 0);
    }

    /**
     * MOVD/MOVQ between XMM and general registers or memory, and MOVQ xmm, xmm/m64 / MOVQ xmm/m64, xmm: loads into
     * an XMM register zero-extend to 128 bits; stores take the low 4 or 8 bytes.
     */
    private static void moveDq(XmmGen x) {
        Operand dst = x.insn.operand(0);
        Operand src = x.insn.operand(1);
        if (XmmGen.isXmm(dst)) {
            int d = x.xmm(0);
            if (XmmGen.isXmm(src)) {
                x.loadXmm(x.xmm(1), 0);
            } else {
                x.loadGeneral(1);
            }
            x.storeXmm(d, 0);
            x.g.lconst(0);
            x.storeXmm(d, 1);
            return;
        }
        x.loadXmm(x.xmm(1), 0);
        if (dst instanceof Operand.Mem m) {
            x.g.storeMem(x.address(0, false), m.size());
        } else {
            x.storeGeneral(0);
        }
    }

    /** MOVLPS/MOVLPD/MOVHPS/MOVHPD: one quadword between memory and half {@code half} of a register. */
    private static void moveHalf(XmmGen x, int half) {
        if (x.isMemory(0)) {
            x.loadXmm(x.xmm(1), half);
            x.g.storeMem(x.address(0, false), 8);
            return;
        }
        int d = x.xmm(0);
        x.sourceLow(1, 8);
        x.storeXmm(d, half);
    }

    /**
     * MASKMOVDQU xmm1, xmm2: stores the bytes of xmm1 whose byte in xmm2 has its top bit set to DS:rDI (address
     * size from the instruction). Each byte is a separate store, as the SDM allows (the instruction is not atomic).
     */
    private static void maskmovdqu(XmmGen x) {
        var g = x.g;
        int data = x.xmm(0), mask = x.xmm(1);
        int base = g.temp(), addr = g.temp(), value = g.temp(), bits = g.temp();
        g.loadGpr(CpuState.RDI);
        g.mask(x.insn.addressSize());
        g.addSegmentBase(CpuState.DS);
        g.lstore(base);
        for (int half = 0; half < 2; half++) {
            x.loadXmm(data, half);
            g.lstore(value);
            x.loadXmm(mask, half);
            g.lstore(bits);
            for (int i = 0; i < 8; i++) {
                org.objectweb.asm.Label skip = new org.objectweb.asm.Label();
                g.lload(bits);
                g.lconst(0x80L << (8 * i));
                x.mv.visitInsn(LAND);
                g.lconst(0);
                x.mv.visitInsn(LCMP);
                x.mv.visitJumpInsn(IFEQ, skip);
                g.lload(base);
                g.lconst(8L * half + i);
                x.mv.visitInsn(LADD);
                g.lstore(addr);
                g.lload(value);
                g.iconst(8 * i);
                x.mv.visitInsn(LUSHR);
                g.storeMem(addr, 1);
                x.mv.visitLabel(skip);
            }
        }
    }

    // ------------------------------------------------------------------ MXCSR, FXSAVE, x87 control, EMMS

    private void state(Map<Mnemonic, Emitter> t) {
        t.put(LDMXCSR, sse(x -> {
            x.cpu();
            x.g.load(0, 4);
            x.call(FxState.class, "ldmxcsr", "(" + CPU_DESC + "J)V");
        }));
        t.put(STMXCSR, sse(x -> {
            x.cpu();
            x.mv.visitFieldInsn(GETFIELD, XmmGen.CPU, "mxcsr", "I");
            x.mv.visitInsn(I2L);
            x.g.storeMem(x.address(0, false), 4);
        }));
        for (Mnemonic m : new Mnemonic[]{FXSAVE, FXSAVE64}) {
            t.put(m, emitter("x87", x -> {
                int a = x.address(0, false);
                x.cpu();
                x.memoryPort();
                x.g.lload(a);
                x.call(FxState.class, "fxsave", "(" + CPU_DESC + PORT_DESC + "J)V");
                // Store the MXCSR image again through the generated store path: it writes what is already there,
                // and marks the instruction as a store, so the region checks for a pending exit (MMIO, code page).
                int m24 = x.g.temp();
                x.g.lload(a);
                x.g.lconst(FxState.MXCSR);
                x.mv.visitInsn(LADD);
                x.g.lstore(m24);
                x.cpu();
                x.mv.visitFieldInsn(GETFIELD, XmmGen.CPU, "mxcsr", "I");
                x.mv.visitInsn(I2L);
                x.g.storeMem(m24, 4);
            }));
        }
        for (Mnemonic m : new Mnemonic[]{FXRSTOR, FXRSTOR64}) {
            t.put(m, emitter("x87", x -> {
                int a = x.address(0, false);
                x.cpu();
                x.memoryPort();
                x.g.lload(a);
                x.call(FxState.class, "fxrstor", "(" + CPU_DESC + PORT_DESC + "J)V");
            }));
        }
        t.put(FNSTCW, emitter("x87", x -> {
            x.cpu();
            x.mv.visitFieldInsn(GETFIELD, XmmGen.CPU, "fcw", "I");
            x.mv.visitInsn(I2L);
            x.storeGeneral(0);
        }));
        t.put(FNSTSW, emitter("x87", x -> {
            x.cpu();
            x.mv.visitFieldInsn(GETFIELD, XmmGen.CPU, "fsw", "I");
            x.mv.visitInsn(I2L);
            x.storeGeneral(0);
        }));
        t.put(FLDCW, emitter("x87", x -> {
            x.cpu();
            x.g.load(0, 2);
            x.call(FxState.class, "fldcw", "(" + CPU_DESC + "J)V");
        }));
        t.put(FNINIT, emitter("x87", x -> {
            x.cpu();
            x.call(FxState.class, "fninit", "(" + CPU_DESC + ")V");
        }));
        t.put(FNCLEX, emitter("x87", x -> {
            x.cpu();
            x.call(FxState.class, "fnclex", "(" + CPU_DESC + ")V");
        }));
        t.put(FWAIT, emitter("fwait", x -> {
            x.cpu();
            x.call(FxState.class, "waitForFpu", "(" + CPU_DESC + ")V");
        }));
        t.put(EMMS, emitter("mmx", x -> {
            x.cpu();
            x.call(FxState.class, "emms", "(" + CPU_DESC + ")V");
        }));
    }
}
