package io.jkvm.abi;

/**
 * API-wide numbers of {@code <linux/kvm.h>} and {@code <asm/kvm.h>}: the API version, the ioctl type, the layout
 * of the vcpu mmap area and the size limits of variable-length arguments.
 */
public final class KvmApi {
    private KvmApi() {
    }

    /** What {@code KVM_GET_API_VERSION} returns; it has been 12 since Linux 2.6.22 and a VMM must refuse others. */
    public static final int KVM_API_VERSION = 12;

    /** The ioctl "type" byte of every KVM ioctl. */
    public static final int KVMIO = 0xAE;

    /** Interrupt vectors on x86; sizes {@code kvm_sregs.interrupt_bitmap}. */
    public static final int KVM_NR_INTERRUPTS = 256;

    /**
     * The most {@code kvm_cpuid_entry2} KVM accepts in {@code KVM_SET_CPUID2} or fills in
     * {@code KVM_GET_SUPPORTED_CPUID}; larger {@code nent} gets {@code E2BIG}.
     */
    @KernelInternal("arch/x86/include/asm/kvm_host.h (256 since Linux 5.15; 80 before)")
    public static final int KVM_MAX_CPUID_ENTRIES = 256;

    /** Page index, in the vcpu mmap area, of the port-IO data page ({@code io.data_offset} points into it). */
    public static final int KVM_PIO_PAGE_OFFSET = 1;

    /** Page index, in the vcpu mmap area, of the coalesced-MMIO ring. */
    public static final int KVM_COALESCED_MMIO_PAGE_OFFSET = 2;

    /** Page index, in the vcpu mmap area, of the dirty ring ({@code KVM_CAP_DIRTY_LOG_RING}). */
    public static final int KVM_DIRTY_LOG_PAGE_OFFSET = 64;

    /** Size of the {@code kvm_run.s} union that holds the synced registers. */
    public static final int SYNC_REGS_SIZE_BYTES = 2048;

    /** Ranges in one {@code kvm_msr_filter}. */
    public static final int KVM_MSR_FILTER_MAX_RANGES = 16;

    /** Largest bitmap, in bytes, of one {@code kvm_msr_filter_range}. */
    public static final int KVM_MSR_FILTER_MAX_BITMAP_SIZE = 0x600;
}
