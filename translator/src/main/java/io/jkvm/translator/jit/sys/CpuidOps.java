package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.VcpuConfig;
import io.jkvm.translator.cpu.VcpuConfig.CpuidEntry;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

import java.util.List;

/**
 * CPUID as KVM answers it ({@code kvm_emulate_cpuid}/{@code kvm_cpuid} in {@code arch/x86/kvm/cpuid.c}): the
 * entry of the guest's table for (EAX, ECX); for a leaf beyond its class's maximum (or of a class the table does
 * not have) the maximum basic leaf with the original ECX, except on AMD/Hygon vendor strings, where the answer is
 * zeros; leaves 0xB and 0x1F pass ECX[7:0] and EDX of their subleaf 1 through for undefined subleaves. The four
 * results are written as 32-bit registers (upper halves cleared).
 *
 * <p>With jkvm's {@code JKVM_CPUID_EXIT} every CPUID exits to userspace instead, with RIP at the instruction;
 * {@link #complete} writes what userspace answered. KVM's CPUID faulting (MSR_MISC_FEATURES_ENABLES) is not
 * modelled, and neither are its leaf-7 TSX_CTRL and Hyper-V invariant-TSC adjustments.
 */
public final class CpuidOps {
    private CpuidOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.CPUID, false, CpuidOps::cpuid);
    }

    private static int cpuid(CpuState cpu, MemoryPort mem, Instruction insn) {
        int function = (int) cpu.gpr[CpuState.RAX];
        int index = (int) cpu.gpr[CpuState.RCX];
        if (cpu.config.cpuidExit) {
            ExitRequest e = cpu.exit;
            e.kind = ExitRequest.Kind.CPUID;
            e.cpuidFunction = function;
            e.cpuidIndex = index;
            cpu.pendingInstruction = insn;
            return Status.EXIT;
        }
        int[] r = lookup(cpu.config, function, index);
        setResult(cpu, r[0], r[1], r[2], r[3]);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** Finishes a CPUID exit with the values userspace put in {@code cpu.exit.cpuidEax..Edx}. */
    static void complete(CpuState cpu, Instruction insn) {
        ExitRequest e = cpu.exit;
        setResult(cpu, e.cpuidEax, e.cpuidEbx, e.cpuidEcx, e.cpuidEdx);
        Operands.retire(cpu, insn);
    }

    private static void setResult(CpuState cpu, int eax, int ebx, int ecx, int edx) {
        cpu.gpr[CpuState.RAX] = eax & 0xffffffffL;
        cpu.gpr[CpuState.RBX] = ebx & 0xffffffffL;
        cpu.gpr[CpuState.RCX] = ecx & 0xffffffffL;
        cpu.gpr[CpuState.RDX] = edx & 0xffffffffL;
    }

    /**
     * The first entry for {@code function} that applies to {@code index}: entries without the significant-index
     * flag apply to every index ({@code kvm_find_cpuid_entry_index}).
     */
    static CpuidEntry find(VcpuConfig config, int function, int index) {
        List<CpuidEntry> table = config.cpuid;
        for (CpuidEntry e : table) {
            if (e.matches(function, index)) {
                return e;
            }
        }
        return null;
    }

    /** The first entry for {@code function}, whatever its index ({@code kvm_find_cpuid_entry}). */
    private static CpuidEntry findAnyIndex(VcpuConfig config, int function) {
        for (CpuidEntry e : config.cpuid) {
            if (e.function() == function) {
                return e;
            }
        }
        return null;
    }

    /** EAX, EBX, ECX, EDX for CPUID with EAX = {@code function}, ECX = {@code index}, by KVM's rules. */
    public static int[] lookup(VcpuConfig config, int function, int index) {
        CpuidEntry entry = find(config, function, index);
        int effective = function;
        if (entry == null) {
            CpuidEntry basic = findAnyIndex(config, 0);
            if (basic != null && !GuestFeatures.vendorAmdLike(basic)) {
                CpuidEntry cls;
                if (Integer.compareUnsigned(function, 0x40000000) >= 0
                        && Integer.compareUnsigned(function, 0x4fffffff) <= 0) {
                    cls = findAnyIndex(config, function & 0xffffff00);
                } else if (Integer.compareUnsigned(function, 0xc0000000) >= 0) {
                    cls = findAnyIndex(config, 0xc0000000);
                } else {
                    cls = findAnyIndex(config, function & 0x80000000);
                }
                if (cls == null || Integer.compareUnsigned(function, cls.eax()) > 0) {
                    // Out of range: the maximum basic leaf answers, for the index the guest asked.
                    effective = basic.eax();
                    entry = find(config, effective, index);
                }
            }
        }
        if (entry != null) {
            return new int[]{entry.eax(), entry.ebx(), entry.ecx(), entry.edx()};
        }
        int[] r = new int[4];
        if (effective == 0xb || effective == 0x1f) {
            // Topology leaves: ECX[7:0] echoes the subleaf and EDX is the x2APIC ID, for any subleaf.
            CpuidEntry one = find(config, effective, 1);
            if (one != null) {
                r[2] = index & 0xff;
                r[3] = one.edx();
            }
        }
        return r;
    }
}
