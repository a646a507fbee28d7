package io.jkvm.abi;

/**
 * {@code kvm_guest_debug.control} bits ({@code KVM_GUESTDBG_*}). The low two are generic (linux/kvm.h), the rest
 * x86-specific (asm/kvm.h); hence the gap.
 */
public final class GuestDebugFlags {
    private GuestDebugFlags() {
    }

    /** Debugging is on; without it the other bits are ignored. */
    public static final int KVM_GUESTDBG_ENABLE = 0x00000001;

    /** Exit with {@code KVM_EXIT_DEBUG} after each instruction. */
    public static final int KVM_GUESTDBG_SINGLESTEP = 0x00000002;

    /** INT3 exits to userspace instead of raising #BP in the guest. */
    public static final int KVM_GUESTDBG_USE_SW_BP = 0x00010000;

    /** Use {@code kvm_guest_debug_arch.debugreg} as hardware breakpoints owned by userspace. */
    public static final int KVM_GUESTDBG_USE_HW_BP = 0x00020000;

    /** Inject a #DB into the guest on the next entry. */
    public static final int KVM_GUESTDBG_INJECT_DB = 0x00040000;

    /** Inject a #BP into the guest on the next entry. */
    public static final int KVM_GUESTDBG_INJECT_BP = 0x00080000;

    /** Block interrupts while single-stepping ({@code KVM_CAP_SET_GUEST_DEBUG2}). */
    public static final int KVM_GUESTDBG_BLOCKIRQ = 0x00100000;
}
