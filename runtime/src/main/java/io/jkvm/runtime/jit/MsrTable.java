package io.jkvm.runtime.jit;

import io.jkvm.translator.cpu.CpuState;

/** {@code KVM_GET_MSR_INDEX_LIST}, {@code KVM_GET_MSRS} and {@code KVM_SET_MSRS} over the CPU model's MSRs. */
final class MsrTable {
    private MsrTable() {
    }

    static int[] indices() {
        return new int[0];
    }

    static Long get(CpuState cpu, int index) {
        return null;
    }

    static boolean set(CpuState cpu, int index, long value) {
        return false;
    }
}
