package io.jkvm.abi;

/** {@code kvm_run.io.direction} of a {@code KVM_EXIT_IO}. */
public final class IoDirection {
    private IoDirection() {
    }

    /** IN/INS: userspace writes the data before the next {@code KVM_RUN}. */
    public static final int KVM_EXIT_IO_IN = 0;

    /** OUT/OUTS: the data is already there. */
    public static final int KVM_EXIT_IO_OUT = 1;
}
