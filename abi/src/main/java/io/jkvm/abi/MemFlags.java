package io.jkvm.abi;

/** {@code kvm_userspace_memory_region.flags} bits ({@code KVM_MEM_*}); bits 16 and up are kernel-private. */
public final class MemFlags {
    private MemFlags() {
    }

    /** Track writes to the slot for {@code KVM_GET_DIRTY_LOG}. */
    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;

    /** Guest writes to the slot exit to userspace as MMIO ({@code KVM_CAP_READONLY_MEM}). */
    public static final int KVM_MEM_READONLY = 1 << 1;
}
