package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.decoder.CodeSize;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generated classes verify, and evicted regions' classes become unreachable so the JVM can unload them. */
class GeneratedClassTest {
    static final String PROGRAM = """
              xor eax, eax
              mov ecx, 300
            1: lea rdx, [rax + rcx*4 + 3]
              imul rdx, rdx, 7
              xor rax, rdx
              shl rdx, 3
              sar rax, 1
              cmp rdx, rax
              cmovl rax, rdx
              setg bl
              movzx ebx, bl
              add rax, rbx
              bsr rsi, rdx
              popcnt rdi, rax
              push rsi
              pop r8
              test cl, 1
              jz 2f
              div ecx
            2: dec ecx
              jnz 1b
              ud2
            """;

    @Test
    void everyRegionOfARealProgramPassesTheCheckingAdapter() {
        byte[] code = LongModeMachine.assemble(PROGRAM);
        int verified = 0;
        // Compile a region at every instruction boundary: different entries give different region shapes.
        for (int off = 0; off < code.length - 2; ) {
            long entry = LongModeMachine.CODE + off;
            RegionCompiler rc = new RegionCompiler(CodeSize.BITS64, 3, 8, entry, (rip, buf) -> {
                int at = (int) (rip - LongModeMachine.CODE);
                int n = Math.max(0, Math.min(buf.length, code.length - at));
                System.arraycopy(code, at, buf, 0, n);
                return n;
            }, RegionCompiler.MAX_INSTRUCTIONS);
            RegionCompiler.Result r = rc.compile(Engine.nextClassName());
            StringWriter problems = new StringWriter();
            CheckClassAdapter.verify(new ClassReader(r.classBytes()), GeneratedClassTest.class.getClassLoader(),
                    false, new PrintWriter(problems));
            assertEquals("", problems.toString(), "region at +" + off + " fails verification");
            // The JVM's own verifier checks the class too when it is defined.
            Engine.define(r);
            verified++;
            off += decodeLength(code, off);
        }
        assertTrue(verified > 15, "regions verified: " + verified);
    }

    private static int decodeLength(byte[] code, int off) {
        try {
            return io.jkvm.translator.decoder.Decoder.decode(code, off, Math.min(15, code.length - off),
                    LongModeMachine.CODE + off, CodeSize.BITS64).length();
        } catch (io.jkvm.translator.decoder.DecodeException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void evictedRegionClassesBecomeUnreachable() throws Exception {
        // Set up in another method: an interpreted frame keeps dead locals alive as GC roots.
        List<WeakReference<Class<?>>> classes = runAndEvict();
        assertTrue(classes.size() > 0);
        for (int i = 0; i < 50 && classes.stream().anyMatch(w -> w.get() != null); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(classes.stream().allMatch(w -> w.get() == null),
                "hidden region classes still reachable after eviction");
    }

    private static List<WeakReference<Class<?>>> runAndEvict() {
        byte[] code = LongModeMachine.assemble(PROGRAM);
        List<WeakReference<Class<?>>> classes = new ArrayList<>();
        try (LongModeMachine m = new LongModeMachine(code)) {
            ExitRequest e = m.vcpu.run();
            assertEquals(ExitRequest.Kind.SHUTDOWN, e.kind, e.reason);
            assertTrue(m.engine.cachedRegions() > 0);
            for (Region r : m.engine.regionsForTest()) {
                classes.add(new WeakReference<>(r.code.getClass()));
            }
            m.engine.invalidateAll();
            m.vcpu.syncMode(); // drops the vcpu's jump cache
            assertEquals(0, m.engine.cachedRegions());
        }
        return classes;
    }
}
