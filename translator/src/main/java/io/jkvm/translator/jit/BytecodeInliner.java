package io.jkvm.translator.jit;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.IincInsnNode;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.VarInsnNode;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.objectweb.asm.Opcodes.*;

/**
 * Copies the bytecode of small static semantic methods into the region being generated instead of calling them.
 *
 * <p>Why: instruction semantics are written once, as small static Java methods ({@link IntSemantics}, the SSE
 * semantics, ...), and generated code calls them. C2 would inline such calls, but it stops inlining ordinary
 * methods once a compilation has inlined 8,000 bytecode bytes ({@code DesiredMethodLimit}, not settable in product
 * builds), and every guest memory access inlines about 700 bytes of force-inlined FFM code. In a large region the
 * budget is gone after a dozen loads, and each remaining call spills every guest register held in machine
 * registers. Inlining at the bytecode level makes the region self-contained: C2 sees plain arithmetic.
 *
 * <p>Only methods that are static, small, free of exception handlers and of {@code invokedynamic} are copied; their
 * own calls stay calls (slow paths). Arguments are popped into fresh locals above every temp in use, returns become
 * jumps to the end with the result left on the stack, which is what the call would have left.
 */
final class BytecodeInliner extends MethodVisitor {
    /** Classes whose static methods may be copied. */
    private static final Set<String> OWNERS = Set.of(
            "io/jkvm/translator/jit/IntSemantics",
            "io/jkvm/translator/jit/sse/SseInt",
            "io/jkvm/translator/jit/sse/SseFloat",
            "io/jkvm/translator/jit/sse/SseConvert",
            "io/jkvm/translator/jit/sse/SseChecks",
            "io/jkvm/translator/cpu/Flags");
    /** Largest method copied, in instructions. */
    private static final int MAX_NODES = 160;
    private static final MethodNode TOO_BIG = new MethodNode();
    private static final Map<String, MethodNode> CACHE = new ConcurrentHashMap<>();

    private final Gen gen;
    private int depth;

    BytecodeInliner(MethodVisitor target, Gen gen) {
        super(Opcodes.ASM9, target);
        this.gen = gen;
    }

    @Override
    public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
        MethodNode callee = opcode == INVOKESTATIC && depth < 2 && OWNERS.contains(owner)
                ? lookup(owner, name, descriptor) : null;
        if (callee == null) {
            super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
            return;
        }
        inline(callee, descriptor);
    }

    private void inline(MethodNode callee, String descriptor) {
        int base = gen.reserveLocals(callee.maxLocals);
        // Arguments are on the stack, last on top: pop them into the callee's parameter slots.
        Type[] args = Type.getArgumentTypes(descriptor);
        int[] slots = new int[args.length];
        int slot = 0;
        for (int i = 0; i < args.length; i++) {
            slots[i] = slot;
            slot += args[i].getSize();
        }
        for (int i = args.length - 1; i >= 0; i--) {
            super.visitVarInsn(args[i].getOpcode(ISTORE), base + slots[i]);
        }
        Label end = new Label();
        Map<LabelNode, Label> labels = new HashMap<>();
        depth++;
        try {
            for (AbstractInsnNode n = callee.instructions.getFirst(); n != null; n = n.getNext()) {
                switch (n) {
                    case LabelNode l -> super.visitLabel(label(labels, l));
                    case VarInsnNode v -> super.visitVarInsn(v.getOpcode(), base + v.var);
                    case IincInsnNode inc -> super.visitIincInsn(base + inc.var, inc.incr);
                    case InsnNode insn when insn.getOpcode() >= IRETURN && insn.getOpcode() <= RETURN ->
                            super.visitJumpInsn(GOTO, end);
                    case JumpInsnNode j -> super.visitJumpInsn(j.getOpcode(), label(labels, j.label));
                    case MethodInsnNode m -> visitMethodInsn(m.getOpcode(), m.owner, m.name, m.desc, m.itf);
                    default -> {
                        if (n.getType() == AbstractInsnNode.FRAME || n.getType() == AbstractInsnNode.LINE) {
                            continue;
                        }
                        n.clone(cloneMap(labels)).accept(mv);
                    }
                }
            }
        } finally {
            depth--;
        }
        super.visitLabel(end);
    }

    private static Label label(Map<LabelNode, Label> labels, LabelNode node) {
        return labels.computeIfAbsent(node, k -> new Label());
    }

    /** A LabelNode→LabelNode map for {@code clone} of switch instructions, backed by the same labels. */
    private static Map<LabelNode, LabelNode> cloneMap(Map<LabelNode, Label> labels) {
        return new java.util.AbstractMap<>() {
            @Override
            public LabelNode get(Object key) {
                Label l = label(labels, (LabelNode) key);
                if (!(l.info instanceof LabelNode)) {
                    l.info = new LabelNode(l);
                }
                return (LabelNode) l.info;
            }

            @Override
            public java.util.Set<Entry<LabelNode, LabelNode>> entrySet() {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static final String REGION_PACKAGE = "io/jkvm/translator/jit/";
    private static final Map<String, ClassNode> CLASSES = new ConcurrentHashMap<>();

    private static MethodNode lookup(String owner, String name, String descriptor) {
        MethodNode m = CACHE.get(owner + "." + name + descriptor);
        if (m == null) {
            m = load(owner, name, descriptor, 0);
            CACHE.put(owner + "." + name + descriptor, m);
        }
        return m == TOO_BIG ? null : m;
    }

    private static MethodNode load(String owner, String name, String descriptor, int depth) {
        ClassNode cn = classNode(owner);
        if (cn == null) {
            return TOO_BIG;
        }
        for (MethodNode m : cn.methods) {
            if (m.name.equals(name) && m.desc.equals(descriptor)) {
                boolean ok = (m.access & ACC_STATIC) != 0 && m.tryCatchBlocks.isEmpty()
                        && m.instructions.size() <= MAX_NODES && noIndy(m) && referencesAccessible(m, depth);
                return ok ? m : TOO_BIG;
            }
        }
        return TOO_BIG;
    }

    private static ClassNode classNode(String owner) {
        return CLASSES.computeIfAbsent(owner, o -> {
            ClassNode cn = new ClassNode();
            try (InputStream in = BytecodeInliner.class.getClassLoader().getResourceAsStream(o + ".class")) {
                if (in == null) {
                    return null;
                }
                new ClassReader(in).accept(cn, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
                return cn;
            } catch (IOException e) {
                return null;
            }
        });
    }

    /**
     * Whether every field and method the copied code names can be reached from a region class (same runtime
     * package as this class): public members of public classes, or non-private members in the region package.
     * Calls that will themselves be copied are checked recursively instead.
     */
    private static boolean referencesAccessible(MethodNode m, int depth) {
        for (AbstractInsnNode n = m.instructions.getFirst(); n != null; n = n.getNext()) {
            if (n instanceof MethodInsnNode call) {
                boolean copied = call.getOpcode() == INVOKESTATIC && depth < 1 && OWNERS.contains(call.owner)
                        && load(call.owner, call.name, call.desc, depth + 1) != TOO_BIG;
                if (!copied && !accessible(call.owner, call.name, call.desc, false)) {
                    return false;
                }
            } else if (n instanceof org.objectweb.asm.tree.FieldInsnNode f
                    && !accessible(f.owner, f.name, f.desc, true)) {
                return false;
            }
        }
        return true;
    }

    private static boolean accessible(String owner, String name, String desc, boolean field) {
        if (owner.startsWith("java/")) {
            return true; // the platform's public API (anything else would not have compiled into the callee)
        }
        ClassNode cn = classNode(owner);
        if (cn == null) {
            return false;
        }
        int access = -1;
        if (field) {
            for (var f : cn.fields) {
                if (f.name.equals(name) && f.desc.equals(desc)) {
                    access = f.access;
                }
            }
        } else {
            for (MethodNode mn : cn.methods) {
                if (mn.name.equals(name) && mn.desc.equals(desc)) {
                    access = mn.access;
                }
            }
        }
        if (access == -1) {
            return false; // inherited member: do not guess
        }
        boolean samePackage = owner.startsWith(REGION_PACKAGE) && owner.indexOf('/', REGION_PACKAGE.length()) < 0;
        if (samePackage) {
            return (access & ACC_PRIVATE) == 0;
        }
        return (access & ACC_PUBLIC) != 0 && (cn.access & ACC_PUBLIC) != 0;
    }

    private static boolean noIndy(MethodNode m) {
        for (AbstractInsnNode n = m.instructions.getFirst(); n != null; n = n.getNext()) {
            if (n.getOpcode() == INVOKEDYNAMIC) {
                return false;
            }
        }
        return true;
    }
}
