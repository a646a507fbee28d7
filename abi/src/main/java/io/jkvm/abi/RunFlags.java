package io.jkvm.abi;

/** {@code kvm_run.flags} bits on x86 (asm/kvm.h). */
public final class RunFlags {
    private RunFlags() {
    }

    /** The vcpu is in system-management mode. */
    public static final int KVM_RUN_X86_SMM = 1 << 0;

    /** The exit was caused by a bus lock ({@code KVM_CAP_X86_BUS_LOCK_EXIT}). */
    public static final int KVM_RUN_X86_BUS_LOCK = 1 << 1;
}
