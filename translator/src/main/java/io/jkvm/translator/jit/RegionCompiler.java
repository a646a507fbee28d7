package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.CodeSize;
import io.jkvm.translator.decoder.DecodeException;
import io.jkvm.translator.decoder.Decoder;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Operand;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodTooLargeException;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.objectweb.asm.Opcodes.*;

/**
 * Translates a region of guest code into one JVM class.
 *
 * <p>A region starts at an entry RIP and grows along direct branches (both sides of a Jcc, direct JMPs) up to a
 * size budget, so that a loop of several basic blocks becomes a loop inside one JVM method, which C2 compiles as a
 * whole with guest registers in machine registers. Calls, returns, indirect jumps and instructions that may exit
 * end a path; control leaving the region returns to the executor with the next RIP.
 *
 * <p>Method shape: load the guest registers into locals; run the blocks; on any exit store the registers the region
 * writes, RIP, the lazy flags and the instruction count back into {@link CpuState}. One exception handler spans the
 * body: it stores the same state with RIP of the instruction that faulted (kept in a local that each instruction
 * sets), so guest exceptions are precise without per-instruction bookkeeping in the fast path.
 */
public final class RegionCompiler {
    /** Size caps: HotSpot does not JIT methods over 8,000 bytecode bytes (DontCompileHugeMethods). */
    static final int MAX_INSTRUCTIONS = 400;
    /** Bytecode bytes a region's method may have: below HotSpot's HugeMethodLimit (8,000) with room to spare. */
    static final int MAX_METHOD_BYTES = Integer.getInteger("jkvm.region.maxBytes", 7_600);
    static final int MAX_BLOCKS = 48;
    static final int MAX_BLOCK_INSTRUCTIONS = 64;

    private final CodeSize mode;
    private final int cpl;
    /** CR0.EM = CR0.TS = 0 and CR4.OSFXSR = 1: SSE instructions need no run-time #UD/#NM test. */
    boolean sseUsable;
    final int stackSize;
    private final long entry;
    private final CodeSource code;
    private final int maxInstructions;

    /** Instructions an emitter refused: regions end before them (see {@link Untranslatable}). */
    private final java.util.Set<Long> stopBefore;
    private final Map<Long, List<Instruction>> blocks = new LinkedHashMap<>();
    private final Map<Long, Label> labels = new LinkedHashMap<>();
    private final Map<Long, Integer> blockIndex = new LinkedHashMap<>();
    private final List<Object> constants = new ArrayList<>();
    private int currentBlock;
    /** Address of the instruction being generated (to report which one an emitter refused). */
    private long insnAddress;
    private Label exitLabel;

    /** The result of a compilation. */
    public record Result(byte[] classBytes, Object[] constants, long entry, int instructions, int blocks,
                         List<long[]> codeRanges) {
    }

    /**
     * @param mode      the code size (decoding and address sizes)
     * @param cpl       current privilege level (baked into privileged-instruction checks)
     * @param stackSize 2, 4 or 8: the stack address size (SS.B outside 64-bit mode)
     */
    public RegionCompiler(CodeSize mode, int cpl, int stackSize, long entry, CodeSource code, int maxInstructions) {
        this(mode, cpl, stackSize, entry, code, maxInstructions, java.util.Set.of());
    }

    private RegionCompiler(CodeSize mode, int cpl, int stackSize, long entry, CodeSource code, int maxInstructions,
                           java.util.Set<Long> stopBefore) {
        this.stopBefore = stopBefore;
        this.mode = mode;
        this.cpl = cpl;
        this.stackSize = stackSize;
        this.entry = entry;
        this.code = code;
        this.maxInstructions = Math.max(1, Math.min(maxInstructions, MAX_INSTRUCTIONS));
    }

    public int cpl() {
        return cpl;
    }

    /** Declares that the region runs only while SSE is usable (the caller keys the region by it). */
    public RegionCompiler withSse(boolean usable) {
        this.sseUsable = usable;
        return this;
    }

    /** CR0.AM, EFLAGS.AC and CPL 3: every data access checks its alignment (the caller keys the region by it). */
    boolean alignmentChecks;

    public RegionCompiler withAlignmentChecks(boolean on) {
        this.alignmentChecks = on;
        return this;
    }



    /**
     * Discovers and translates the region. A guest exception raised by the entry instruction itself (fetch fault,
     * invalid opcode) propagates as {@link GuestException}; later problems just end the region earlier.
     */
    public Result compile(String className) {
        discover();
        try {
            return generate(className);
        } catch (MethodTooLargeException e) {
            // Retry with a smaller region: correctness never depends on the region's size.
            if (maxInstructions == 1) {
                throw e;
            }
            return new RegionCompiler(mode, cpl, stackSize, entry, code, Math.max(1, countInstructions() / 2),
                    stopBefore).withSse(sseUsable).withAlignmentChecks(alignmentChecks).compile(className);
        } catch (RegionTooLarge e) {
            int fit = (int) ((long) e.instructions * MAX_METHOD_BYTES * 9 / 10 / e.methodBytes);
            return new RegionCompiler(mode, cpl, stackSize, entry, code, Math.max(1, Math.min(fit,
                    e.instructions - 1)), stopBefore).withSse(sseUsable).withAlignmentChecks(alignmentChecks)
                    .compile(className);
        } catch (Untranslatable e) {
            long at = insnAddress;
            if (at == entry) {
                throw GuestException.ud("cannot translate the instruction at 0x" + Long.toHexString(at) + ": "
                        + e.getMessage());
            }
            java.util.Set<Long> stops = new java.util.HashSet<>(stopBefore);
            stops.add(at);
            return new RegionCompiler(mode, cpl, stackSize, entry, code, maxInstructions, stops).withSse(sseUsable)
                    .withAlignmentChecks(alignmentChecks).compile(className);
        }
    }

    private int countInstructions() {
        int n = 0;
        for (List<Instruction> b : blocks.values()) {
            n += b.size();
        }
        return n;
    }

    // ------------------------------------------------------------------ discovery

    private void discover() {
        ArrayDeque<Long> work = new ArrayDeque<>();
        work.add(entry);
        int total = 0;
        byte[] buf = new byte[15];
        while (!work.isEmpty() && total < maxInstructions && blocks.size() < MAX_BLOCKS) {
            long pc = work.poll();
            if (blocks.containsKey(pc)) {
                continue;
            }
            List<Instruction> list = new ArrayList<>();
            while (total < maxInstructions && list.size() < MAX_BLOCK_INSTRUCTIONS) {
                if (!list.isEmpty() && blocks.containsKey(pc)) {
                    break;
                }
                if (stopBefore.contains(pc) && !(pc == entry && list.isEmpty() && blocks.isEmpty())) {
                    break;
                }
                boolean first = pc == entry && list.isEmpty() && blocks.isEmpty();
                Instruction insn;
                try {
                    int n = code.read(pc, buf);
                    insn = Decoder.decode(buf, 0, n, pc, mode);
                } catch (GuestException e) {
                    if (first) {
                        throw e;
                    }
                    break;
                } catch (DecodeException e) {
                    if (first) {
                        throw guestException(e, pc);
                    }
                    break;
                }
                Emitter em = Emitters.forInstruction(insn);
                if (em == null) {
                    if (first) {
                        throw GuestException.ud("instruction not supported: " + insn);
                    }
                    break;
                }
                list.add(insn);
                total++;
                pc = wrap(insn.nextAddress());
                Emitter.Flow flow = em.flow(insn);
                if (flow == Emitter.Flow.BRANCH) {
                    work.add(target(insn));
                    work.add(pc);
                    break;
                }
                if (flow == Emitter.Flow.JUMP) {
                    work.add(target(insn));
                    break;
                }
                if (flow == Emitter.Flow.END) {
                    break;
                }
            }
            if (list.isEmpty()) {
                continue;
            }
            blocks.put(list.getFirst().address(), list);
        }
        int i = 0;
        for (Long start : blocks.keySet()) {
            labels.put(start, new Label());
            blockIndex.put(start, i++);
        }
    }

    /** The exception the CPU raises for undecodable bytes at {@code pc}. */
    private GuestException guestException(DecodeException e, long pc) {
        switch (e.reason()) {
            case TOO_LONG:
                return GuestException.gp(0, "instruction longer than 15 bytes at 0x" + Long.toHexString(pc));
            case TRUNCATED: {
                // The instruction runs into a page that cannot be fetched: fetching it raises the right #PF.
                byte[] one = new byte[1];
                long next = pc + 1;
                while (next < pc + 15) {
                    if (code.read(next, one) == 0) {
                        break;
                    }
                    next++;
                }
                return GuestException.gp(0, "truncated instruction at 0x" + Long.toHexString(pc));
            }
            default:
                return GuestException.ud(e.getMessage());
        }
    }

    private long wrap(long rip) {
        return mode == CodeSize.BITS64 ? rip : rip & (mode == CodeSize.BITS32 ? 0xffffffffL : 0xffffL);
    }

    static long target(Instruction insn) {
        for (Operand o : insn.operands()) {
            if (o instanceof Operand.Rel r) {
                return r.target();
            }
        }
        throw new IllegalStateException("no branch target in " + insn);
    }

    // ------------------------------------------------------------------ generation

    /** The region class's static final {@code jdk.internal.misc.Unsafe} (see {@link Mem#RAW_ACCESS}). */
    static final String UNSAFE_FIELD = "U";

    /**
     * Class-file version of regions: 49, the last without {@code StackMapTable} frames. From version 50 on the class
     * would have to carry frames, and computing them (ASM's {@code COMPUTE_FRAMES}, a data-flow pass over a method of
     * thousands of bytes, ~60 locals and a branch per memory access) took two thirds of the translation time. A
     * version-49 class is still verified when it is defined, by the JVM's type-inferencing verifier, which does the
     * same analysis in native code; regions use nothing newer than Java 5 bytecode needs (no invokedynamic, no
     * static interface calls).
     */
    static final int CLASS_VERSION = V1_5;

    private Result generate(String className) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        String iface = Type.getInternalName(CompiledRegion.class);
        cw.visit(CLASS_VERSION, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, className, null, "java/lang/Object", new String[]{iface});
        cw.visitField(ACC_PRIVATE | ACC_FINAL, "k", "[Ljava/lang/Object;", null, null).visitEnd();
        if (Mem.RAW_ACCESS) {
            cw.visitField(ACC_STATIC | ACC_FINAL | ACC_PRIVATE, UNSAFE_FIELD, "L" + Mem.UNSAFE + ";", null, null)
                    .visitEnd();
            MethodVisitor clinit = cw.visitMethod(ACC_STATIC, "<clinit>", "()V", null, null);
            clinit.visitCode();
            clinit.visitMethodInsn(INVOKESTATIC, Mem.UNSAFE, "getUnsafe", "()L" + Mem.UNSAFE + ";", false);
            clinit.visitFieldInsn(PUTSTATIC, className, UNSAFE_FIELD, "L" + Mem.UNSAFE + ";");
            clinit.visitInsn(RETURN);
            clinit.visitMaxs(0, 0);
            clinit.visitEnd();
        }

        MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "([Ljava/lang/Object;)V", null, null);
        init.visitCode();
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitVarInsn(ALOAD, 0);
        init.visitVarInsn(ALOAD, 1);
        init.visitFieldInsn(PUTFIELD, className, "k", "[Ljava/lang/Object;");
        init.visitInsn(RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        // The body goes into a tree first: only once it is complete do we know which guest registers the region
        // touches, and the prologue loads just those.
        org.objectweb.asm.tree.MethodNode mv = new org.objectweb.asm.tree.MethodNode(ACC_PUBLIC | ACC_FINAL,
                "execute", "(L" + Gen.CPU + ";L" + Gen.PORT + ";)I", null, null);
        mv.visitCode();
        Gen g = new Gen(mv, mode, this);
        g.constantsOwner = className;
        prologue(g);

        Label tryStart = new Label();
        Label tryEnd = new Label();
        Label handler = new Label();
        exitLabel = new Label();
        mv.visitLabel(tryStart);
        faultSites.clear();
        exitSiteNext.clear();
        exitSiteCount.clear();
        pendingExitShared = new Label();

        int insns = 0;
        List<long[]> ranges = new ArrayList<>();
        for (Map.Entry<Long, List<Instruction>> e : blocks.entrySet()) {
            currentBlock = blockIndex.get(e.getKey());
            mv.visitLabel(labels.get(e.getKey()));
            g.knownCcOp = -1;
            List<Instruction> list = e.getValue();
            int[] live = FlagLiveness.liveAfter(list);
            Instruction last = null;
            Emitter.Flow flow = Emitter.Flow.NEXT;
            int index = 0;
            // Instructions retired since the count local was last updated: the count (and the RIP local) only
            // needs to be exact where something can observe it, i.e. at instructions that may fault or exit and
            // at control flow; straight-line ALU code pays nothing for it.
            int pending = 0;
            for (Instruction insn : list) {
                insnAddress = insn.address();
                g.beginInstruction(insn);
                g.liveFlagsAfter = live[index++];
                g.storedToMemory = false;
                Emitter em = Emitters.forInstruction(insn);
                flow = em.flow(insn);
                boolean mayFault = FlagLiveness.mayFault(insn);
                // An inline instruction that may fault gets a fault site of its own (an exception-table entry whose
                // handler stub sets the RIP and count locals), so its fast path stores neither; helpers and control
                // flow read them, so they still set both before they run.
                boolean faultSite = mayFault && flow == Emitter.Flow.NEXT && !Emitters.isHelper(insn);
                Label siteStart = null;
                if (faultSite) {
                    siteStart = new Label();
                    mv.visitLabel(siteStart);
                } else if (mayFault || flow != Emitter.Flow.NEXT) {
                    if (mayFault) {
                        g.lconst(insn.address());
                        g.lstore(Gen.L_RIP);
                    }
                    addToCount(g, pending + 1);
                    pending = -1;
                }
                em.emit(g, insn);
                if (faultSite) {
                    Label siteEnd = new Label();
                    mv.visitLabel(siteEnd);
                    faultSites.add(new FaultSite(siteStart, siteEnd, insn.address(), pending + 1));
                }
                pending++;
                if (flow == Emitter.Flow.NEXT && g.storedToMemory) {
                    pendingExitCheck(g, wrap(insn.nextAddress()), pending);
                }
                last = insn;
                insns++;
            }
            ranges.add(new long[]{list.getFirst().address(), last.nextAddress()});
            if (flow == Emitter.Flow.NEXT) {
                addToCount(g, pending);
                jumpTo(g, wrap(last.nextAddress()));
            }
        }
        mv.visitLabel(tryEnd);

        // Common exit: L_NEXT = next RIP, L_STATUS = status.
        mv.visitLabel(exitLabel);
        writeBack(g);
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.lload(Gen.L_NEXT);
        mv.visitFieldInsn(PUTFIELD, Gen.CPU, "rip", "J");
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.lload(Gen.L_ICOUNT);
        mv.visitFieldInsn(PUTFIELD, Gen.CPU, "instructions", "J");
        mv.visitVarInsn(ILOAD, Gen.L_STATUS);
        mv.visitInsn(IRETURN);

        // Guest exception (or exit signal) raised inside an instruction: state as before that instruction.
        // The region-wide handler entry only jumps to the common code: fault sites jump there too, and the JIT
        // compilers refuse a method whose exception handler entry is also reached by normal control flow.
        Label trapCommon = new Label();
        mv.visitLabel(handler);
        mv.visitJumpInsn(GOTO, trapCommon);
        mv.visitLabel(trapCommon);
        int exSlot = g.maxTemp;
        mv.visitVarInsn(ASTORE, exSlot);
        writeBack(g);
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.lload(Gen.L_RIP);
        mv.visitFieldInsn(PUTFIELD, Gen.CPU, "rip", "J");
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.lload(Gen.L_ICOUNT);
        g.lconst(1);
        mv.visitInsn(LSUB);
        mv.visitFieldInsn(PUTFIELD, Gen.CPU, "instructions", "J");
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        mv.visitVarInsn(ALOAD, exSlot);
        mv.visitMethodInsn(INVOKESTATIC, Type.getInternalName(Trap.class), "handle",
                "(L" + Gen.CPU + ";Ljava/lang/Throwable;)I", false);
        mv.visitInsn(IRETURN);

        // Fault sites: each has a six-byte stub (push its index, go to the site handler); the site handler sets
        // the RIP local and the count including the faulting instruction (the common handler takes one off) from
        // two constant tables, then joins the common handler. Their table entries precede the region-wide one,
        // which the JVM would otherwise pick first.
        emitPendingExits(g, exSlot + 1);
        if (!faultSites.isEmpty()) {
            Label siteHandler = new Label();
            long[] siteRips = new long[faultSites.size()];
            int[] siteCounts = new int[faultSites.size()];
            for (int i = 0; i < siteRips.length; i++) {
                FaultSite site = faultSites.get(i);
                siteRips[i] = site.rip();
                siteCounts[i] = site.countDelta();
                Label stub = new Label();
                mv.visitTryCatchBlock(site.start(), site.end(), stub, "java/lang/Throwable");
                mv.visitLabel(stub);
                g.iconst(i);
                mv.visitJumpInsn(GOTO, siteHandler);
            }
            mv.visitLabel(siteHandler);
            loadSiteTables(g, exSlot + 1, siteRips, Gen.L_RIP, siteCounts);
            mv.visitJumpInsn(GOTO, trapCommon);
        }
        mv.visitTryCatchBlock(tryStart, tryEnd, handler, "java/lang/Throwable");

        Label end = new Label();
        mv.visitLabel(end);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        org.objectweb.asm.tree.MethodNode loads = new org.objectweb.asm.tree.MethodNode();
        Gen pg = new Gen(loads, mode, this);
        loadRegisters(pg, g.readRegs | g.writtenRegs);
        mv.instructions.insert(loads.instructions);
        mv.accept(cw);
        cw.visitEnd();
        byte[] bytes = cw.toByteArray();
        // The tree wraps each Label in a LabelNode with a Label of its own: that one was written, so it has an offset.
        int methodBytes = ((org.objectweb.asm.tree.LabelNode) end.info).getLabel().getOffset();
        if (methodBytes > MAX_METHOD_BYTES && insns > 1) {
            // Too big for C2: a region that stays interpreted is far slower than two compiled ones.
            throw new RegionTooLarge(insns, methodBytes);
        }
        return new Result(bytes, constants.toArray(), entry, insns, blocks.size(), ranges);
    }

    private static void addToCount(Gen g, int n) {
        if (n == 0) {
            return;
        }
        g.lload(Gen.L_ICOUNT);
        g.lconst(n);
        g.mv.visitInsn(LADD);
        g.lstore(Gen.L_ICOUNT);
    }

    private void prologue(Gen g) {
        MethodVisitor mv = g.mv;
        mv.visitVarInsn(ALOAD, Gen.L_MEM);
        mv.visitFieldInsn(GETFIELD, Gen.PORT, "tlbRead", "[J");
        mv.visitVarInsn(ASTORE, Gen.L_TR);
        mv.visitVarInsn(ALOAD, Gen.L_MEM);
        mv.visitFieldInsn(GETFIELD, Gen.PORT, "tlbWrite", "[J");
        mv.visitVarInsn(ASTORE, Gen.L_TW);
        // The TLB privilege bit is fixed for the region: CPL is part of the region's key.
        g.lconst(cpl == 3 ? 1 : 0);
        g.lstore(Gen.L_USER);
        loadState(g);
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        mv.visitFieldInsn(GETFIELD, Gen.CPU, "budgetLimit", "J");
        // A back-edge loops on while count < L_BUDGET, i.e. while one more pass (at most every instruction of the
        // region, since a path between two back-edge checks visits each block once) still fits in the budget;
        // otherwise the run loop takes over and single-steps up to the exact limit.
        int passLimit = countInstructions() - 1;
        if (passLimit > 0) {
            g.lconst(passLimit);
            mv.visitInsn(LSUB);
        }
        g.lstore(Gen.L_BUDGET);
        g.lconst(entry);
        g.lstore(Gen.L_RIP);
        g.lconst(entry);
        g.lstore(Gen.L_NEXT);
        g.iconst(Status.CONTINUE);
        mv.visitVarInsn(ISTORE, Gen.L_STATUS);
    }

    /** Loads the GPRs in {@code mask} from the CPU state into their locals. */
    private static void loadRegisters(Gen g, int mask) {
        MethodVisitor mv = g.mv;
        for (int r = 0; r < 16; r++) {
            if ((mask & (1 << r)) == 0) {
                continue;
            }
            mv.visitVarInsn(ALOAD, Gen.L_CPU);
            mv.visitFieldInsn(GETFIELD, Gen.CPU, "gpr", "[J");
            g.iconst(r);
            mv.visitInsn(LALOAD);
            g.lstore(g.regSlot(r));
        }
    }

    /** Loads the lazy flags and the instruction count (the prologue; registers are loaded separately). */
    void loadState(Gen g) {
        MethodVisitor mv = g.mv;
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        mv.visitFieldInsn(GETFIELD, Gen.CPU, "ccOp", "I");
        mv.visitVarInsn(ISTORE, Gen.L_CCOP);
        loadField(g, "ccDst", Gen.L_CCDST);
        loadField(g, "ccSrc", Gen.L_CCSRC);
        loadField(g, "ccSrc2", Gen.L_CCSRC2);
        loadField(g, "instructions", Gen.L_ICOUNT);
    }

    private static void loadField(Gen g, String field, int slot) {
        g.mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.mv.visitFieldInsn(GETFIELD, Gen.CPU, field, "J");
        g.lstore(slot);
    }

    private static void storeField(Gen g, String field, int slot) {
        g.mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.lload(slot);
        g.mv.visitFieldInsn(PUTFIELD, Gen.CPU, field, "J");
    }

    /** Stores all GPRs (those the region may have written), lazy flags and the instruction count. */
    void writeBack(Gen g) {
        syncOut(g, false);
    }

    /** Reloads registers, lazy flags and the instruction count after a helper changed the CPU state. */
    void syncIn(Gen g) {
        loadRegisters(g, 0xffff);
        g.readRegs = 0xffff;
        loadState(g);
    }

    /**
     * Writes the register locals and lazy flags to the CPU state. With {@code all}, every GPR is written (before
     * helpers that read arbitrary registers); otherwise only those the region writes: the exit paths are generated
     * after all blocks, when that set is known, and a register never written still equals the CPU state's copy.
     */
    void syncOut(Gen g, boolean all) {
        MethodVisitor mv = g.mv;
        if (all) {
            g.readRegs = 0xffff;
        }
        for (int r = 0; r < 16; r++) {
            if (!all && (g.writtenRegs & (1 << r)) == 0) {
                continue;
            }
            mv.visitVarInsn(ALOAD, Gen.L_CPU);
            mv.visitFieldInsn(GETFIELD, Gen.CPU, "gpr", "[J");
            g.iconst(r);
            g.lload(g.regSlot(r));
            mv.visitInsn(LASTORE);
        }
        mv.visitVarInsn(ALOAD, Gen.L_CPU);
        mv.visitVarInsn(ILOAD, Gen.L_CCOP);
        mv.visitFieldInsn(PUTFIELD, Gen.CPU, "ccOp", "I");
        storeField(g, "ccDst", Gen.L_CCDST);
        storeField(g, "ccSrc", Gen.L_CCSRC);
        storeField(g, "ccSrc2", Gen.L_CCSRC2);
    }

    // ------------------------------------------------------------------ control flow

    /** Continue at {@code target}: a jump inside the region, or an exit with RIP = target. */
    void jumpTo(Gen g, long target) {
        Label l = labels.get(target);
        if (l == null) {
            g.lconst(target);
            g.lstore(Gen.L_NEXT);
            g.iconst(Status.CONTINUE);
            g.mv.visitVarInsn(ISTORE, Gen.L_STATUS);
            g.mv.visitJumpInsn(GOTO, exitLabel);
            return;
        }
        if (blockIndex.get(target) <= currentBlock) {
            // Back-edge: let the run loop in when it asks (kick, interrupt) and honour the instruction budget.
            Label out = new Label();
            g.mv.visitVarInsn(ALOAD, Gen.L_CPU);
            g.mv.visitFieldInsn(GETFIELD, Gen.CPU, "requests", "I");
            g.mv.visitJumpInsn(IFNE, out);
            g.lload(Gen.L_ICOUNT);
            g.lload(Gen.L_BUDGET);
            g.mv.visitInsn(LCMP);
            g.mv.visitJumpInsn(IFLT, l);
            g.mv.visitLabel(out);
            g.lconst(target);
            g.lstore(Gen.L_NEXT);
            g.iconst(Status.CONTINUE);
            g.mv.visitVarInsn(ISTORE, Gen.L_STATUS);
            g.mv.visitJumpInsn(GOTO, exitLabel);
            return;
        }
        g.mv.visitJumpInsn(GOTO, l);
    }

    /** Exit with RIP from L_NEXT and status CONTINUE. */
    void exitToNext(Gen g) {
        g.iconst(Status.CONTINUE);
        g.mv.visitVarInsn(ISTORE, Gen.L_STATUS);
        g.mv.visitJumpInsn(GOTO, exitLabel);
    }

    /** Exit with RIP from L_NEXT and the status on the JVM stack (int). */
    void exitWithStatus(Gen g) {
        g.mv.visitVarInsn(ISTORE, Gen.L_STATUS);
        g.mv.visitJumpInsn(GOTO, exitLabel);
    }

    /** After a store: if a slow path asked for the run loop (MMIO write, store into code), stop after this insn. */
    /** An inline instruction that may fault: its bytecode range, RIP and count increment (see generate). */
    private record FaultSite(Label start, Label end, long rip, int countDelta) {
    }

    private final List<FaultSite> faultSites = new ArrayList<>();

    /** After a storing instruction: exit if the store asked to (MMIO), {@code pending} instructions not counted yet. */
    private void pendingExitCheck(Gen g, long next, int pending) {
        // Out of line: the site's index goes to the shared exit code (emitPendingExits), which finds the next RIP
        // and the count in two constant tables; inline, each storing instruction paid ~24 bytes for it.
        Label cont = new Label();
        g.mv.visitVarInsn(ALOAD, Gen.L_CPU);
        g.mv.visitFieldInsn(GETFIELD, Gen.CPU, "pendingExit", "I");
        g.mv.visitJumpInsn(IFEQ, cont);
        g.iconst(exitSiteNext.size());
        exitSiteNext.add(next);
        exitSiteCount.add(pending);
        g.mv.visitJumpInsn(GOTO, pendingExitShared);
        g.mv.visitLabel(cont);
    }

    private final List<Long> exitSiteNext = new ArrayList<>();
    private final List<Integer> exitSiteCount = new ArrayList<>();
    private Label pendingExitShared;

    /** The shared exit of the pending-exit checks: site index on the stack, {@code slot} a free int local. */
    private void emitPendingExits(Gen g, int slot) {
        if (exitSiteNext.isEmpty()) {
            return;
        }
        MethodVisitor mv = g.mv;
        mv.visitLabel(pendingExitShared);
        loadSiteTables(g, slot, exitSiteNext.stream().mapToLong(Long::longValue).toArray(), Gen.L_NEXT,
                exitSiteCount.stream().mapToInt(Integer::intValue).toArray());
        g.iconst(Status.END_BLOCK);
        mv.visitVarInsn(ISTORE, Gen.L_STATUS);
        mv.visitJumpInsn(GOTO, exitLabel);
    }

    /**
     * The common part of out-of-line site code (fault sites, pending exits): takes the site index from the stack
     * into int local {@code slot}, sets long local {@code ripLocal} to {@code rips[index]} and adds
     * {@code counts[index]} to the instruction count local.
     */
    private static void loadSiteTables(Gen g, int slot, long[] rips, int ripLocal, int[] counts) {
        MethodVisitor mv = g.mv;
        mv.visitVarInsn(ISTORE, slot);
        g.constant(rips, "[J");
        mv.visitVarInsn(ILOAD, slot);
        mv.visitInsn(LALOAD);
        g.lstore(ripLocal);
        g.lload(Gen.L_ICOUNT);
        g.constant(counts, "[I");
        mv.visitVarInsn(ILOAD, slot);
        mv.visitInsn(IALOAD);
        mv.visitInsn(I2L);
        mv.visitInsn(LADD);
        g.lstore(Gen.L_ICOUNT);
    }

    /** The generated method exceeds {@link #MAX_METHOD_BYTES}. */
    private static final class RegionTooLarge extends RuntimeException {
        final int instructions;
        final int methodBytes;

        RegionTooLarge(int instructions, int methodBytes) {
            super(null, null, false, false);
            this.instructions = instructions;
            this.methodBytes = methodBytes;
        }
    }

    /** Registers a constant (e.g. the Instruction a helper needs) and returns its index in the region's table. */
    int constant(Object o) {
        constants.add(o);
        return constants.size() - 1;
    }

}
