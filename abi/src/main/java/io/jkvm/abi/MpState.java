package io.jkvm.abi;

/** {@code kvm_mp_state.mp_state} values ({@code KVM_MP_STATE_*}); not every state exists on every architecture. */
public final class MpState {
    private MpState() {
    }

    public static final int KVM_MP_STATE_RUNNABLE = 0;
    /** x86: an AP waiting for INIT. */
    public static final int KVM_MP_STATE_UNINITIALIZED = 1;
    /** x86: an AP that got INIT and waits for SIPI. */
    public static final int KVM_MP_STATE_INIT_RECEIVED = 2;
    /** x86: halted until an interrupt. */
    public static final int KVM_MP_STATE_HALTED = 3;
    public static final int KVM_MP_STATE_SIPI_RECEIVED = 4;
    public static final int KVM_MP_STATE_STOPPED = 5;
    public static final int KVM_MP_STATE_CHECK_STOP = 6;
    public static final int KVM_MP_STATE_OPERATING = 7;
    public static final int KVM_MP_STATE_LOAD = 8;
    public static final int KVM_MP_STATE_AP_RESET_HOLD = 9;
    public static final int KVM_MP_STATE_SUSPENDED = 10;
}
