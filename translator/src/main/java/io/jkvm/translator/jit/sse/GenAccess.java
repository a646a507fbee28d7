package io.jkvm.translator.jit.sse;

import io.jkvm.translator.jit.Gen;
import org.objectweb.asm.MethodVisitor;

import java.util.function.Function;

/**
 * What the SSE emitters need from the code generator beyond {@link Gen}'s public API: the method being generated
 * and the JVM local slots of the {@code CpuState} and {@code MemoryPort} parameters. {@code Emitters} (in the core
 * package, which can see them) passes {@code new GenAccess(g -> g.mv, Gen.L_CPU, Gen.L_MEM)}; if {@code Gen} ever
 * exposes these publicly, this record can go.
 */
public record GenAccess(Function<Gen, MethodVisitor> methodVisitor, int cpuSlot, int memorySlot) {
}
