package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * VMCALL and VMMCALL as KVM's hypercall ABI ({@code kvm_emulate_hypercall}): number in RAX, arguments in RBX, RCX,
 * RDX, RSI (truncated to 32 bits outside 64-bit mode), result in RAX. KVM accepts either instruction on any vendor
 * (it patches the other one in), and so does jkvm.
 *
 * <ul>
 *   <li>CPL > 0: RAX = -KVM_EPERM.</li>
 *   <li>A number whose bit is set in {@code config.hypercallExitMask} ({@code KVM_CAP_EXIT_HYPERCALL}) exits with
 *       {@code KVM_EXIT_HYPERCALL}, RIP at the instruction; {@link #complete} then writes the result userspace
 *       returned and moves on. KVM_HC_MAP_GPA_RANGE (12) first gets KVM's argument check (page-aligned address,
 *       non-zero, non-wrapping page count; RAX = -KVM_EINVAL otherwise).</li>
 *   <li>KVM_HC_VAPIC_POLL_IRQ (1): RAX = 0, as in KVM.</li>
 *   <li>Everything else: RAX = -KVM_ENOSYS. KVM's in-kernel kick, yield, IPI and clock-pairing hypercalls need an
 *       in-kernel APIC or kvmclock, which jkvm does not have.</li>
 * </ul>
 */
final class HypercallOps {
    /** {@code include/uapi/linux/kvm_para.h}. */
    static final long KVM_ENOSYS = 1000, KVM_EPERM = 1, KVM_EINVAL = 22;
    static final int KVM_HC_VAPIC_POLL_IRQ = 1, KVM_HC_MAP_GPA_RANGE = 12;

    private HypercallOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.VMCALL, false, HypercallOps::hypercall);
        t.add(Mnemonic.VMMCALL, false, HypercallOps::hypercall);
    }

    private static int hypercall(CpuState cpu, MemoryPort mem, Instruction insn) {
        boolean wide = cpu.is64();
        long mask = wide ? -1L : 0xffffffffL;
        long nr = cpu.gpr[CpuState.RAX] & mask;
        long result;
        if (cpu.cpl() != 0) {
            result = -KVM_EPERM;
        } else if (nr < 64 && (cpu.config.hypercallExitMask >>> nr & 1) != 0) {
            long a0 = cpu.gpr[CpuState.RBX] & mask, a1 = cpu.gpr[CpuState.RCX] & mask;
            if (nr == KVM_HC_MAP_GPA_RANGE && ((a0 & 0xfff) != 0 || a1 == 0
                    || Long.compareUnsigned((a0 >>> 12) + a1, a0 >>> 12) <= 0)) {
                result = -KVM_EINVAL;
            } else {
                ExitRequest e = cpu.exit;
                e.kind = ExitRequest.Kind.HYPERCALL;
                e.hypercallNr = nr;
                e.hypercallArgs[0] = a0;
                e.hypercallArgs[1] = a1;
                e.hypercallArgs[2] = cpu.gpr[CpuState.RDX] & mask;
                e.hypercallArgs[3] = cpu.gpr[CpuState.RSI] & mask;
                e.hypercallArgs[4] = 0;
                e.hypercallArgs[5] = 0;
                cpu.pendingInstruction = insn;
                return Status.EXIT;
            }
        } else if (nr == KVM_HC_VAPIC_POLL_IRQ) {
            result = 0;
        } else {
            result = -KVM_ENOSYS;
        }
        cpu.gpr[CpuState.RAX] = result & mask;
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** Finishes a hypercall exit: RAX = {@code cpu.exit.hypercallRet} (32 bits outside 64-bit mode). */
    static void complete(CpuState cpu, Instruction insn) {
        long ret = cpu.exit.hypercallRet;
        cpu.gpr[CpuState.RAX] = cpu.is64() ? ret : ret & 0xffffffffL;
        Operands.retire(cpu, insn);
    }
}
