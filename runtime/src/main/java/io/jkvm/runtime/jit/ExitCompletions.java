package io.jkvm.runtime.jit;

import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.jit.JitVcpu;

/** Connects a JIT vcpu to the translator's exception delivery and the completions of exits that need userspace. */
final class ExitCompletions {
    private ExitCompletions() {
    }

    static void install(JitVcpu vcpu) {
    }

    /** Finishes the instruction that exited with {@code kind}, using what userspace put in {@code cpu.exit}. */
    static void complete(JitVcpu vcpu, ExitRequest.Kind kind) {
    }
}
