package io.jkvm.runtime.jit;

import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.jit.JitVcpu;
import io.jkvm.translator.jit.sys.ExitCompletion;
import io.jkvm.translator.jit.sys.Interrupts;

/** Connects a JIT vcpu to the translator's exception delivery and the completions of exits that need userspace. */
final class ExitCompletions {
    private ExitCompletions() {
    }

    static void install(JitVcpu vcpu) {
        vcpu.setExceptionDelivery(Interrupts.DELIVERY);
    }

    /**
     * Finishes the instruction that exited with {@code kind}, using what userspace put in {@code cpu.exit}.
     *
     * @return false when finishing it raised a fault that ended in a triple fault
     */
    static boolean complete(JitVcpu vcpu, ExitRequest.Kind kind) {
        return ExitCompletion.complete(vcpu.cpu, vcpu.memory(), kind);
    }
}
