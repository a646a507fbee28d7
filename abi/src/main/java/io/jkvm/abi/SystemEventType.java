package io.jkvm.abi;

/** {@code kvm_run.system_event.type} values of a {@code KVM_EXIT_SYSTEM_EVENT}. */
public final class SystemEventType {
    private SystemEventType() {
    }

    public static final int KVM_SYSTEM_EVENT_SHUTDOWN = 1;
    public static final int KVM_SYSTEM_EVENT_RESET = 2;
    public static final int KVM_SYSTEM_EVENT_CRASH = 3;
    public static final int KVM_SYSTEM_EVENT_WAKEUP = 4;
    public static final int KVM_SYSTEM_EVENT_SUSPEND = 5;
    public static final int KVM_SYSTEM_EVENT_SEV_TERM = 6;
}
