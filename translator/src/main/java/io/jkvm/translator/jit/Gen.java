package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.decoder.CodeSize;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.RegClass;
import io.jkvm.translator.decoder.Segment;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

import static org.objectweb.asm.Opcodes.*;

/**
 * The code-generation context of one region: JVM local layout, operand load/store, effective addresses, lazy
 * flags and control flow. Instruction emitters only describe the operation; everything about where values live is
 * here (QEMU's "generic operand load and write-back, so each emitter only does the operation").
 *
 * <p>Values on the JVM stack are always {@code long}, zero-extended from the operand size.
 */
public final class Gen {
    static final String CPU = Type.getInternalName(CpuState.class);
    static final String MEM = Type.getInternalName(Mem.class);
    static final String PORT = Type.getInternalName(MemoryPort.class);
    static final String FLAGS = Type.getInternalName(Flags.class);
    static final String SEGREG = "io/jkvm/translator/cpu/SegmentRegister";

    // Local variable layout (fixed; temps above L_TEMP0).
    static final int L_THIS = 0, L_CPU = 1, L_MEM = 2, L_TR = 3, L_TW = 4, L_USER = 5, L_REG0 = 7, L_CCOP = 39,
            L_CCDST = 40, L_CCSRC = 42, L_CCSRC2 = 44, L_RIP = 46, L_ICOUNT = 48, L_BUDGET = 50, L_NEXT = 52,
            L_STATUS = 54, L_TEMP0 = 56;

    final MethodVisitor mv;
    final CodeSize mode;
    final RegionCompiler region;
    /** Registers written anywhere in the region (bit n = GPR n): only these are stored back. */
    int writtenRegs;
    /** Registers read anywhere in the region: the prologue loads read and written registers only. */
    int readRegs;
    private int nextTemp = L_TEMP0;
    int maxTemp = L_TEMP0;
    /** The statically known lazy-flags op of the last flag writer in this block, or -1 when unknown. */
    int knownCcOp = -1;
    Instruction insn;
    /** Internal name of the class being generated (for its constant table field). */
    String constantsOwner;

    Gen(MethodVisitor mv, CodeSize mode, RegionCompiler region) {
        this.mv = region != null && INLINE_SEMANTICS ? new BytecodeInliner(mv, this) : mv;
        this.mode = mode;
        this.region = region;
    }

    // ---------------------------------------------------------------- locals

    /** Starts a new instruction: temps of the previous one are dead. */
    void beginInstruction(Instruction i) {
        insn = i;
        nextTemp = L_TEMP0;
    }

    /** Copy small semantic methods into regions ({@link BytecodeInliner}); {@code -Djkvm.inline=false} turns it off. */
    static final boolean INLINE_SEMANTICS = !"false".equals(System.getProperty("jkvm.inline"));

    /**
     * Reserves {@code n} local slots above every temp handed out so far in this instruction (for an inlined
     * method's locals); they are free again at the next instruction.
     */
    int reserveLocals(int n) {
        int base = nextTemp;
        nextTemp += n;
        maxTemp = Math.max(maxTemp, nextTemp);
        return base;
    }

    /** A fresh long temp (2 slots), valid until the next instruction. */
    public int temp() {
        int t = nextTemp;
        nextTemp += 2;
        maxTemp = Math.max(maxTemp, nextTemp);
        return t;
    }

    public int regSlot(int n) {
        return L_REG0 + 2 * n;
    }

    public void lconst(long v) {
        if (v == 0) {
            mv.visitInsn(LCONST_0);
        } else if (v == 1) {
            mv.visitInsn(LCONST_1);
        } else {
            mv.visitLdcInsn(v);
        }
    }

    public void iconst(int v) {
        if (v >= -1 && v <= 5) {
            mv.visitInsn(ICONST_0 + v);
        } else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
            mv.visitIntInsn(BIPUSH, v);
        } else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
            mv.visitIntInsn(SIPUSH, v);
        } else {
            mv.visitLdcInsn(v);
        }
    }

    public void lload(int slot) {
        mv.visitVarInsn(LLOAD, slot);
    }

    public void lstore(int slot) {
        mv.visitVarInsn(LSTORE, slot);
    }

    /** Masks the long on the stack to {@code size} bytes (no-op for 8). */
    public void mask(int size) {
        if (size < 8) {
            lconst(Flags.mask(size));
            mv.visitInsn(LAND);
        }
    }

    /** Sign-extends the low {@code size} bytes of the long on the stack. */
    public void sext(int size) {
        if (size < 8) {
            int shift = 64 - size * 8;
            iconst(shift);
            mv.visitInsn(LSHL);
            iconst(shift);
            mv.visitInsn(LSHR);
        }
    }

    // ---------------------------------------------------------------- registers

    /** Pushes GPR {@code n} (full 64 bits). */
    public void loadGpr(int n) {
        readRegs |= 1 << n;
        lload(regSlot(n));
    }

    /** Stores the long on the stack as the full 64-bit GPR {@code n}. */
    public void storeGpr64(int n) {
        lstore(regSlot(n));
        writtenRegs |= 1 << n;
    }

    /** Pushes register operand {@code r} zero-extended from {@code size}. */
    public void loadReg(Operand.Reg r, int size) {
        if (r.regClass() == RegClass.GPR8_HIGH) {
            loadGpr(r.number());
            iconst(8);
            mv.visitInsn(LUSHR);
            mask(1);
            return;
        }
        requireGpr(r);
        loadGpr(r.number());
        mask(size);
    }

    /** Stores the long on the stack into register operand {@code r} with x86 partial-register rules. */
    public void storeReg(Operand.Reg r, int size) {
        if (r.regClass() == RegClass.GPR8_HIGH) {
            int n = r.number();
            mask(1);
            iconst(8);
            mv.visitInsn(LSHL);
            loadGpr(n);
            lconst(~0xff00L);
            mv.visitInsn(LAND);
            mv.visitInsn(LOR);
            storeGpr64(n);
            return;
        }
        requireGpr(r);
        int n = r.number();
        switch (size) {
            case 8 -> storeGpr64(n);
            case 4 -> {
                // 32-bit writes zero-extend into the full register.
                mask(4);
                storeGpr64(n);
            }
            default -> {
                mask(size);
                loadGpr(n);
                lconst(~Flags.mask(size));
                mv.visitInsn(LAND);
                mv.visitInsn(LOR);
                storeGpr64(n);
            }
        }
    }

    private void requireGpr(Operand.Reg r) {
        if (r.regClass() != RegClass.GPR) {
            throw new Untranslatable("register class " + r.regClass() + " in " + insn);
        }
    }

    // ---------------------------------------------------------------- addresses

    /** Pushes the effective address (offset within the segment) of {@code m}, wrapped to its address size. */
    public void effectiveAddress(Operand.Mem m) {
        boolean any = false;
        if (m.base() == Operand.Mem.RIP) {
            lconst(m.displacement());
            any = true;
        } else {
            if (m.base() != Operand.Mem.NONE) {
                loadGpr(m.base());
                any = true;
            }
            if (m.index() != Operand.Mem.NONE) {
                loadGpr(m.index());
                if (m.scale() > 1) {
                    iconst(Integer.numberOfTrailingZeros(m.scale()));
                    mv.visitInsn(LSHL);
                }
                if (any) {
                    mv.visitInsn(LADD);
                }
                any = true;
            }
            if (m.displacement() != 0 || !any) {
                lconst(m.displacement());
                if (any) {
                    mv.visitInsn(LADD);
                }
            }
        }
        if (m.addressSize() < 8) {
            mask(m.addressSize());
        }
    }

    /** Pushes the linear address of {@code m}: effective address plus segment base where the mode has one. */
    public void linearAddress(Operand.Mem m) {
        effectiveAddress(m);
        addSegmentBase(m.segment().ordinal());
    }

    /** Adds the base of segment {@code seg} to the offset on the stack (64-bit mode: only FS and GS have one). */
    public void addSegmentBase(int seg) {
        if (mode == CodeSize.BITS64) {
            if (seg == CpuState.FS || seg == CpuState.GS) {
                segmentBase(seg);
                mv.visitInsn(LADD);
            }
        } else {
            segmentBase(seg);
            mv.visitInsn(LADD);
            mask(4);
        }
    }

    private void segmentBase(int seg) {
        mv.visitVarInsn(ALOAD, L_CPU);
        mv.visitFieldInsn(GETFIELD, CPU, "seg", "[L" + SEGREG + ";");
        iconst(seg);
        mv.visitInsn(AALOAD);
        mv.visitFieldInsn(GETFIELD, SEGREG, "base", "J");
    }

    // ---------------------------------------------------------------- memory

    private static final String VH = "java/lang/invoke/VarHandle";
    private static final String SEGMENT = "Ljava/lang/foreign/MemorySegment;";

    /**
     * Loads {@code size} bytes from the linear address in long local {@code addr}: the TLB probe of {@link Mem}
     * spelled out inline, a force-inlined {@code VarHandle} access on a hit, {@link MemoryPort#loadSlow} otherwise.
     */
    public void loadMem(int addr, int size) {
        loadMem(addr, size, false);
    }

    /**
     * A load; with {@code forWrite} it is the read half of a read-modify-write, which the CPU checks as a write
     * (a fault reports W=1, a read-only page faults before anything is read): probe the write TLB and, on a miss,
     * translate for writing.
     */
    public void loadMem(int addr, int size, boolean forWrite) {
        loadMem(addr, size, forWrite, memoryOperandViaSs());
    }

    /**
     * Whether the current instruction's explicit memory operand is addressed through SS (an RSP or RBP base, or an
     * SS override): a non-canonical address through SS raises #SS(0), not #GP(0), whatever the instruction (SSE
     * moves and arithmetic, x87 state, RMW integer instructions). Accesses that callers make through other
     * overloads state their segment themselves (the implicit stack of PUSH and POP).
     */
    private boolean memoryOperandViaSs() {
        Operand.Mem m = insn == null ? null : insn.memoryOperand();
        return m != null && m.segment() == Segment.SS;
    }

    /** {@link #loadMem(int, int, boolean)} for an access through SS when {@code stack} (see MemoryPort). */
    void loadMem(int addr, int size, boolean forWrite, boolean stack) {
        alignmentCheck(addr, size, stack);
        Label slow = new Label();
        Label done = new Label();
        int tlb = forWrite ? L_TW : L_TR;
        int idx = tlbProbe(tlb, addr, size, slow);
        accessTarget(tlb, addr, idx, size);
        accessCall(false, size);
        if (size == 8) {
            mv.visitJumpInsn(GOTO, done);
        } else {
            mv.visitInsn(I2L);
            mask(size);
            mv.visitJumpInsn(GOTO, done);
        }
        mv.visitLabel(slow);
        mv.visitVarInsn(ALOAD, L_MEM);
        lload(addr);
        iconst(size);
        String slowPath = (forWrite ? "loadSlowForWrite" : "loadSlow") + (stack ? "Stack" : "");
        mv.visitMethodInsn(INVOKEVIRTUAL, PORT, slowPath, "(JI)J", false);
        mv.visitLabel(done);
    }

    /** Stores the long on the stack ({@code size} bytes) at the linear address in long local {@code addr}. */
    public void storeMem(int addr, int size) {
        storeMem(addr, size, memoryOperandViaSs());
    }

    /** {@link #storeMem(int, int)} for an access through SS when {@code stack}. */
    void storeMem(int addr, int size, boolean stack) {
        int v = temp();
        lstore(v);
        storeMemFrom(addr, size, stack, v);
    }

    /** Stores the long in temp {@code v} ({@code size} bytes) at the linear address in long local {@code addr}. */
    private void storeMemFrom(int addr, int size, boolean stack, int v) {
        alignmentCheck(addr, size, stack);
        Label slow = new Label();
        Label done = new Label();
        int idx = tlbProbe(L_TW, addr, size, slow);
        accessTarget(L_TW, addr, idx, size);
        lload(v);
        if (size < 8) {
            mv.visitInsn(L2I);
            if (size == 1) {
                mv.visitInsn(I2B);
            } else if (size == 2) {
                mv.visitInsn(I2S);
            }
        }
        accessCall(true, size);
        mv.visitJumpInsn(GOTO, done);
        mv.visitLabel(slow);
        mv.visitVarInsn(ALOAD, L_MEM);
        lload(addr);
        iconst(size);
        lload(v);
        mv.visitMethodInsn(INVOKEVIRTUAL, PORT, stack ? "storeSlowStack" : "storeSlow", "(JIJ)V", false);
        mv.visitLabel(done);
        storedToMemory = true;
    }

    /**
     * For a 16-byte store at the linear address in {@code addr}: when the 16 bytes cross a page, pushes the halves
     * ({@code pushLow}, {@code pushHigh}: a long each), calls {@link MemoryPort#store128Slow} and jumps to the
     * returned label; otherwise falls through to the caller's ordinary stores, after which it places the label.
     */
    public Label store128IfCrossingPage(int addr, Runnable pushLow, Runnable pushHigh) {
        Label normal = new Label();
        Label done = new Label();
        lload(addr);
        lconst(0xfff);
        mv.visitInsn(LAND);
        lconst(0xff0);
        mv.visitInsn(LCMP);
        mv.visitJumpInsn(IFLE, normal);
        mv.visitVarInsn(ALOAD, L_MEM);
        lload(addr);
        pushLow.run();
        pushHigh.run();
        iconst(memoryOperandViaSs() ? 1 : 0);
        mv.visitMethodInsn(INVOKEVIRTUAL, PORT, "store128Slow", "(JJJZ)V", false);
        mv.visitJumpInsn(GOTO, done);
        mv.visitLabel(normal);
        storedToMemory = true;
        return done;
    }

    /** Places a label returned by {@link #store128IfCrossingPage}. */
    public void placeLabel(Label l) {
        mv.visitLabel(l);
    }

    /**
     * The #AC check of an unaligned 16-byte SSE access (MOVUPS, MOVDQU ...): the CPU checks the whole operand's
     * alignment, which the two 8-byte halves it is made of would not.
     */
    public void alignmentCheck16(int addr) {
        alignmentCheck(addr, 16, memoryOperandViaSs());
    }

    /** In regions keyed with alignment checking: #AC(0) unless the address is a multiple of the access size. */
    private void alignmentCheck(int addr, int size, boolean stack) {
        if (!region.alignmentChecks || size == 1) {
            return;
        }
        Label ok = new Label();
        lload(addr);
        lconst(size - 1);
        mv.visitInsn(LAND);
        lconst(0);
        mv.visitInsn(LCMP);
        mv.visitJumpInsn(IFEQ, ok);
        lload(addr);
        iconst(stack ? 1 : 0);
        mv.visitMethodInsn(INVOKESTATIC, "io/jkvm/translator/jit/Trap", "alignmentCheck",
                "(JZ)Lio/jkvm/translator/cpu/GuestException;", false);
        mv.visitInsn(ATHROW);
        mv.visitLabel(ok);
    }

    private static String javaType(int size) {
        return switch (size) {
            case 1 -> "B";
            case 2 -> "S";
            case 4 -> "I";
            default -> "J";
        };
    }

    /**
     * Emits the TLB probe for an access of {@code size} bytes at the address in {@code addr}: jumps to {@code miss}
     * unless the entry indexed by the first byte's page is tagged with the LAST byte's page (see {@link Mem}).
     * Returns the int local holding the entry index.
     */
    private int tlbProbe(int tlb, int addr, int size, Label miss) {
        int idx = temp();
        lload(addr);
        iconst(12);
        mv.visitInsn(LUSHR);
        mv.visitInsn(L2I);
        iconst(Mem.TLB_MASK);
        mv.visitInsn(IAND);
        iconst(1);
        mv.visitInsn(ISHL);
        mv.visitVarInsn(ISTORE, idx);
        mv.visitVarInsn(ALOAD, tlb);
        mv.visitVarInsn(ILOAD, idx);
        mv.visitInsn(LALOAD);
        lload(addr);
        if (size > 1) {
            lconst(size - 1);
            mv.visitInsn(LADD);
        }
        lconst(Mem.PAGE_MASK);
        mv.visitInsn(LAND);
        lload(L_USER);
        mv.visitInsn(LOR);
        mv.visitInsn(LCMP);
        mv.visitJumpInsn(IFNE, miss);
        return idx;
    }

    /**
     * Pushes what a fast-path access of {@code size} bytes needs below the value: with {@link Mem#RAW_ACCESS} the
     * region class's own static final {@code Unsafe} (a constant to C2) and {@code null} as base object, else the
     * {@code VarHandle} of the size and {@code Mem.ALL}; then the host address {@code addr + addend} (the TLB
     * entry's second long).
     */
    private void accessTarget(int tlb, int addr, int idx, int size) {
        if (Mem.RAW_ACCESS) {
            mv.visitFieldInsn(GETSTATIC, constantsOwner, RegionCompiler.UNSAFE_FIELD, "L" + Mem.UNSAFE + ";");
            mv.visitInsn(ACONST_NULL);
        } else {
            mv.visitFieldInsn(GETSTATIC, MEM, "H" + size * 8, "L" + VH + ";");
            mv.visitFieldInsn(GETSTATIC, MEM, "ALL", SEGMENT);
        }
        lload(addr);
        mv.visitVarInsn(ALOAD, tlb);
        mv.visitVarInsn(ILOAD, idx);
        iconst(1);
        mv.visitInsn(IADD);
        mv.visitInsn(LALOAD);
        mv.visitInsn(LADD);
    }

    /** The access itself, after {@link #accessTarget} (and the value, for a store). */
    private void accessCall(boolean store, int size) {
        String t = javaType(size);
        if (Mem.RAW_ACCESS) {
            String name = switch (size) {
                case 1 -> "Byte";
                case 2 -> "Short";
                case 4 -> "Int";
                default -> "Long";
            };
            mv.visitMethodInsn(INVOKEVIRTUAL, Mem.UNSAFE, store ? "put" + name : "get" + name,
                    store ? "(Ljava/lang/Object;J" + t + ")V" : "(Ljava/lang/Object;J)" + t, false);
        } else {
            mv.visitMethodInsn(INVOKEVIRTUAL, VH, store ? "set" : "get",
                    store ? "(" + SEGMENT + "J" + t + ")V" : "(" + SEGMENT + "J)" + t, false);
        }
    }

    /** Whether the current instruction stored to memory (so the pending-exit test is needed after it). */
    boolean storedToMemory;

    // ---------------------------------------------------------------- operands

    /**
     * A resolved operand: a register, a memory location whose linear address sits in a temp (so that a
     * read-modify-write computes it once), or an immediate.
     */
    public final class Loc {
        final Operand op;
        final int addrTemp;
        final int size;
        /** The destination of a read-modify-write: its load is checked as a write. */
        final boolean forUpdate;

        Loc(Operand op, int addrTemp, int size) {
            this(op, addrTemp, size, false);
        }

        Loc(Operand op, int addrTemp, int size, boolean forUpdate) {
            this.op = op;
            this.addrTemp = addrTemp;
            this.size = size;
            this.forUpdate = forUpdate;
        }

        /** Pushes the value (zero-extended). */
        public void load() {
            switch (op) {
                case Operand.Reg r -> loadReg(r, size);
                case Operand.Mem m -> loadMem(addrTemp, size, forUpdate, m.segment() == Segment.SS);
                case Operand.Imm i -> lconst(i.value() & Flags.mask(size));
                default -> throw new Untranslatable("cannot load operand " + op + " of " + insn);
            }
        }

        /** Stores the long on the stack. */
        public void store() {
            switch (op) {
                case Operand.Reg r -> storeReg(r, size);
                case Operand.Mem m -> storeMem(addrTemp, size, m.segment() == Segment.SS);
                default -> throw new Untranslatable("cannot store to operand " + op + " of " + insn);
            }
        }

        public boolean isMemory() {
            return op instanceof Operand.Mem;
        }

        public int size() {
            return size;
        }
    }

    /** Resolves operand {@code i} of the current instruction at the instruction's operand size. */
    public Loc loc(int i) {
        return loc(insn.operand(i), insn.operandSize());
    }

    public Loc loc(Operand op, int size) {
        return loc(op, size, false);
    }

    /** Operand {@code i} as the destination of a read-modify-write (see {@link #loadMem(int, int, boolean)}). */
    public Loc locForUpdate(int i) {
        return loc(insn.operand(i), insn.operandSize(), true);
    }

    public Loc locForUpdate(Operand op, int size) {
        return loc(op, size, true);
    }

    private Loc loc(Operand op, int size, boolean forUpdate) {
        if (op instanceof Operand.Mem m) {
            int a = temp();
            linearAddress(m);
            lstore(a);
            return new Loc(op, a, size, forUpdate);
        }
        return new Loc(op, -1, size, forUpdate);
    }

    /** Pushes operand {@code i} at size {@code size}, zero-extended. */
    public void load(int i, int size) {
        loc(insn.operand(i), size).load();
    }

    // ---------------------------------------------------------------- flags

    /** Whether SSE instructions cannot fault with #UD/#NM in this region (part of the region's mode key). */
    public boolean sseUsable() {
        return region.sseUsable;
    }

    /** Arithmetic flags that may be read after the current instruction (see {@link FlagLiveness}). */
    int liveFlagsAfter = FlagLiveness.ARITH;

    /**
     * Whether any flag the current instruction writes can be observed: emitters skip their flag computation when
     * not (C2 would drop dead local stores anyway, but not calls it cannot inline, and the bytecode stays smaller).
     */
    public boolean flagsNeeded() {
        return (insn.mnemonic().flagsWritten() & liveFlagsAfter) != 0;
    }

    /** Records lazy flags: op constant, dst and src from long locals ({@code -1} for "leave as is"). */
    public void setFlags(int kind, int size, int dstSlot, int srcSlot, int src2Slot) {
        if (!flagsNeeded()) {
            knownCcOp = -1;
            return;
        }
        int op = Flags.op(kind, size);
        iconst(op);
        mv.visitVarInsn(ISTORE, L_CCOP);
        if (dstSlot >= 0) {
            lload(dstSlot);
            lstore(L_CCDST);
        }
        if (srcSlot >= 0) {
            lload(srcSlot);
            lstore(L_CCSRC);
        }
        if (src2Slot >= 0) {
            lload(src2Slot);
            lstore(L_CCSRC2);
        }
        knownCcOp = op;
    }

    /** Pushes CF (0 or 1, as a long) of the current lazy state. */
    public void carryFlag() {
        mv.visitVarInsn(ILOAD, L_CCOP);
        lload(L_CCDST);
        lload(L_CCSRC);
        lload(L_CCSRC2);
        mv.visitMethodInsn(INVOKESTATIC, FLAGS, "cf", "(IJJJ)J", false);
    }

    /** Materialises the lazy flags into the EFLAGS form (op = EFLAGS, src = arithmetic bits) on the stack. */
    public void arithFlags() {
        mv.visitVarInsn(ILOAD, L_CCOP);
        lload(L_CCDST);
        lload(L_CCSRC);
        lload(L_CCSRC2);
        mv.visitMethodInsn(INVOKESTATIC, FLAGS, "compute", "(IJJJ)J", false);
    }

    /** Jumps to {@code target} when condition code {@code cc} holds. */
    public void jumpIf(int cc, Label target) {
        Conditions.jumpIf(this, cc, target);
    }

    /** Pushes 1 or 0 (int) for condition {@code cc}. */
    public void conditionValue(int cc) {
        Label yes = new Label();
        Label done = new Label();
        jumpIf(cc, yes);
        iconst(0);
        mv.visitJumpInsn(GOTO, done);
        mv.visitLabel(yes);
        iconst(1);
        mv.visitLabel(done);
    }

    /** Pushes region constant {@code o} (e.g. an {@code Instruction} for a helper), cast to {@code type}. */
    public void constant(Object o, String type) {
        int k = region.constant(o);
        mv.visitVarInsn(ALOAD, L_THIS);
        mv.visitFieldInsn(GETFIELD, constantsOwner, "k", "[Ljava/lang/Object;");
        iconst(k);
        mv.visitInsn(AALOAD);
        mv.visitTypeInsn(CHECKCAST, type);
    }

    // ---------------------------------------------------------------- control flow

    /** Ends the current path: continue at guest address {@code target} (inside the region or via the executor). */
    public void jumpTo(long target) {
        region.jumpTo(this, target);
    }

    /** Ends the current path with the next RIP taken from the long on the stack (indirect branches). */
    public void jumpIndirect() {
        lstore(L_NEXT);
        region.exitToNext(this);
    }

    /** Wraps the long on the stack to the code size (IP/EIP wrap outside 64-bit mode). */
    public void wrapIp() {
        if (mode != CodeSize.BITS64) {
            mask(mode.bytes());
        }
    }

    /** Stack pointer width in bytes: 8 in 64-bit mode, else SS.B decides (4 or 2) at run time; we use the mode. */
    public int stackAddressSize() {
        return mode == CodeSize.BITS64 ? 8 : region.stackSize;
    }

    /** Pushes the linear address {@code rsp + delta} (stack segment base included outside 64-bit mode). */
    public void stackAddress(long delta) {
        loadGpr(CpuState.RSP);
        if (delta != 0) {
            lconst(delta);
            mv.visitInsn(LADD);
        }
        mask(stackAddressSize());
        addSegmentBase(CpuState.SS);
    }

    /** Adds {@code delta} to RSP with the stack's address size. */
    public void adjustRsp(long delta) {
        int sz = stackAddressSize();
        loadGpr(CpuState.RSP);
        lconst(delta);
        mv.visitInsn(LADD);
        if (sz == 8) {
            storeGpr64(CpuState.RSP);
        } else {
            storeReg(new Operand.Reg(RegClass.GPR, CpuState.RSP, sz), sz);
        }
    }

    /** Pushes the long on the stack onto the guest stack ({@code size} bytes). */
    public void push(int size) {
        int v = temp();
        lstore(v);
        int a = temp();
        stackAddress(-size);
        lstore(a);
        storeMemFrom(a, size, true, v);
        adjustRsp(-size);
    }

    /** Pops {@code size} bytes from the guest stack onto the JVM stack; RSP is updated after the load. */
    public void pop(int size) {
        int a = temp();
        stackAddress(0);
        lstore(a);
        loadMem(a, size, false, true);
        int v = temp();
        lstore(v);
        adjustRsp(size);
        lload(v);
    }
}
