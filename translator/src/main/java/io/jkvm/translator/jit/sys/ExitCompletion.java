package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.jit.MemoryPort;

/**
 * Finishing an instruction that exited to userspace, as KVM's {@code complete_userspace_io} callbacks do at the
 * start of the next {@code KVM_RUN}: IN/INS store the data userspace provided, OUT/OUTS move on, CPUID writes the
 * four results, RDMSR/WRMSR honour {@code msr.error}, a hypercall writes its return value. The executor copies
 * {@code kvm_run}'s answer into {@link CpuState#exit} first ({@code data}, {@code cpuidEax..Edx}, {@code msrData},
 * {@code msrError}, {@code hypercallRet}) and then calls {@link #complete}.
 */
public final class ExitCompletion {
    private ExitCompletion() {
    }

    /**
     * Completes the instruction recorded in {@code cpu.pendingInstruction} for an exit of {@code kind}. Exits that
     * need no completion (HLT, MMIO, shutdown ...) and exits completed already are ignored. A fault the completion
     * raises (userspace failed an MSR access; INS lost its destination page) is delivered through the guest's IDT
     * here.
     *
     * @return false when delivering that fault ended in a triple fault: the vcpu must report
     *         {@code KVM_EXIT_SHUTDOWN} instead of running
     */
    public static boolean complete(CpuState cpu, MemoryPort mem, ExitRequest.Kind kind) {
        Instruction insn = cpu.pendingInstruction;
        if (insn == null) {
            return true;
        }
        cpu.pendingInstruction = null;
        try {
            switch (kind) {
                case IO -> IoOps.complete(cpu, mem, insn);
                case CPUID -> CpuidOps.complete(cpu, insn);
                case RDMSR -> MsrOps.completeRead(cpu, insn);
                case WRMSR -> MsrOps.completeWrite(cpu, insn);
                case HYPERCALL -> HypercallOps.complete(cpu, insn);
                default -> {
                }
            }
        } catch (GuestException fault) {
            return Interrupts.deliverException(cpu, mem, fault);
        }
        return true;
    }

    /** Forgets an unfinished instruction (the VMM reset the vcpu or rewrote its registers). */
    public static void abandon(CpuState cpu) {
        cpu.pendingInstruction = null;
    }
}
