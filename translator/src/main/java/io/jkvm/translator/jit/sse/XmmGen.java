package io.jkvm.translator.jit.sse;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.RegClass;
import io.jkvm.translator.jit.Gen;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Untranslatable;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

import static org.objectweb.asm.Opcodes.*;

/**
 * Operand access for SSE emitters, on top of {@link Gen}: XMM registers live in {@code cpu.xmm} (two longs each),
 * 128-bit memory operands are two 8-byte accesses at a linear address computed once, and every source is loaded
 * onto the JVM stack before the operation is called, so that a fault in the access (#PF, #GP for misalignment)
 * happens before any state changes. One instance serves one instruction.
 */
final class XmmGen {
    static final String CPU = Type.getInternalName(CpuState.class);
    static final String PORT = Type.getInternalName(MemoryPort.class);
    static final String CHECKS = Type.getInternalName(SseChecks.class);

    final Gen g;
    final MethodVisitor mv;
    final Instruction insn;
    private final GenAccess access;

    XmmGen(Gen g, Instruction insn, GenAccess access) {
        this.g = g;
        this.mv = access.methodVisitor().apply(g);
        this.insn = insn;
        this.access = access;
    }

    void cpu() {
        mv.visitVarInsn(ALOAD, access.cpuSlot());
    }

    void memoryPort() {
        mv.visitVarInsn(ALOAD, access.memorySlot());
    }

    void call(Class<?> owner, String name, String descriptor) {
        mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(owner), name, descriptor, false);
    }

    /** The run-time #UD/#NM test (see {@link SseChecks}) named {@code check}. */
    void check(String check) {
        // Regions are keyed by whether SSE is usable (CR0.EM/TS clear, CR4.OSFXSR set; see Gen#sseUsable), and
        // CR0/CR4 writes end a region, so in such a region the "sse" test can never fire: skip the call.
        if ("sse".equals(check) && g.sseUsable()) {
            return;
        }
        cpu();
        mv.visitMethodInsn(INVOKESTATIC, CHECKS, check, "(L" + CPU + ";)V", false);
    }

    // ------------------------------------------------------------------ operands

    static boolean isXmm(Operand o) {
        return o instanceof Operand.Reg r && r.regClass() == RegClass.XMM;
    }

    /** The XMM register number of operand {@code i}; other register classes (MMX forms) are not translated. */
    int xmm(int i) {
        Operand o = insn.operand(i);
        if (!isXmm(o)) {
            throw new Untranslatable("operand " + i + " of " + insn + " is not an XMM register");
        }
        return ((Operand.Reg) o).number();
    }

    Operand.Mem mem(int i) {
        return (Operand.Mem) insn.operand(i);
    }

    boolean isMemory(int i) {
        return insn.operand(i) instanceof Operand.Mem;
    }

    int imm(int i) {
        return (int) ((Operand.Imm) insn.operand(i)).value() & 0xff;
    }

    /** Pushes half {@code half} (0 low, 1 high) of XMM register {@code reg}. */
    void loadXmm(int reg, int half) {
        cpu();
        mv.visitFieldInsn(GETFIELD, CPU, "xmm", "[J");
        g.iconst(2 * reg + half);
        mv.visitInsn(LALOAD);
    }

    /** Stores the long on the stack as half {@code half} of XMM register {@code reg}. */
    void storeXmm(int reg, int half) {
        int t = g.temp();
        g.lstore(t);
        cpu();
        mv.visitFieldInsn(GETFIELD, CPU, "xmm", "[J");
        g.iconst(2 * reg + half);
        g.lload(t);
        mv.visitInsn(LASTORE);
    }

    /** Computes the linear address of memory operand {@code i} into a fresh temp, with the 16-byte check if asked. */
    int address(int i, boolean aligned) {
        int a = g.temp();
        g.linearAddress(mem(i));
        g.lstore(a);
        if (aligned) {
            g.lload(a);
            mv.visitMethodInsn(INVOKESTATIC, CHECKS, "aligned16", "(J)V", false);
        }
        return a;
    }

    /** A temp holding {@code a + 8}: the high half of a 16-byte operand. */
    int plus8(int a) {
        int h = g.temp();
        g.lload(a);
        g.lconst(8);
        mv.visitInsn(LADD);
        g.lstore(h);
        return h;
    }

    /**
     * Pushes the two halves (low, then high) of 128-bit source operand {@code i}: an XMM register, or 16 bytes of
     * memory that must be 16-byte aligned when {@code aligned} (legacy SSE arithmetic and the aligned moves).
     */
    void source128(int i, boolean aligned) {
        if (isMemory(i)) {
            int a = address(i, aligned);
            if (!aligned) {
                g.alignmentCheck16(a);
            }
            int h = plus8(a);
            g.loadMem(a, 8);
            g.loadMem(h, 8);
        } else {
            int r = xmm(i);
            loadXmm(r, 0);
            loadXmm(r, 1);
        }
    }

    /** Pushes the low {@code size} (4 or 8) bytes of source operand {@code i}, zero-extended to a long. */
    void sourceLow(int i, int size) {
        if (isMemory(i)) {
            int a = address(i, false);
            g.loadMem(a, size);
        } else {
            loadXmm(xmm(i), 0);
            if (size == 4) {
                g.mask(4);
            }
        }
    }

    /** Pushes general-purpose or memory source operand {@code i} at its own size, zero-extended. */
    void loadGeneral(int i) {
        Operand o = insn.operand(i);
        g.loc(o, o.size()).load();
    }

    /** Stores the long on the stack into general-purpose or memory operand {@code i} at its own size. */
    void storeGeneral(int i) {
        Operand o = insn.operand(i);
        g.loc(o, o.size()).store();
    }
}
