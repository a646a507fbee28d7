package io.jkvm.runtime.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.jit.sys.MsrOps;

/**
 * {@code KVM_GET_MSR_INDEX_LIST}, {@code KVM_GET_MSRS} and {@code KVM_SET_MSRS} over the CPU model's MSRs, which
 * the translator defines once ({@link MsrOps}) for both the guest's RDMSR/WRMSR and the VMM.
 */
final class MsrTable {
    private MsrTable() {
    }

    static int[] indices() {
        return MsrOps.indexList();
    }

    static Long get(CpuState cpu, int index) {
        return MsrOps.get(cpu, index);
    }

    static boolean set(CpuState cpu, int index, long value) {
        return MsrOps.set(cpu, index, value);
    }
}
