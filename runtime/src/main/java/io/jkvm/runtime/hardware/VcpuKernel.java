package io.jkvm.runtime.hardware;

import io.jkvm.abi.Ioctl;
import io.jkvm.abi.KvmRun;

import java.lang.foreign.MemorySegment;

/**
 * The two vcpu ioctls the run loop issues itself, {@code KVM_RUN} and {@code KVM_SET_SIGNAL_MASK}, raw (result -1
 * with the errno in {@code capture}, nothing allocated). {@link #KVM} issues them; tests of the kick protocol on a
 * host without {@code /dev/kvm} substitute a model of KVM's behaviour.
 */
interface VcpuKernel {
    /** {@code ioctl(fd, KVM_RUN, 0)}. */
    int run(MemorySegment capture, int fd, KvmRun run);

    /** {@code ioctl(fd, KVM_SET_SIGNAL_MASK, mask)}, {@code mask} a {@code struct kvm_signal_mask}. */
    int setSignalMask(MemorySegment capture, int fd, MemorySegment mask);

    /** The real ioctls. */
    VcpuKernel KVM = new VcpuKernel() {
        private static final long KVM_RUN = Ioctl.KVM_RUN.number();

        @Override
        public int run(MemorySegment capture, int fd, KvmRun run) {
            return Native.ioctl(capture, fd, KVM_RUN, 0L);
        }

        @Override
        public int setSignalMask(MemorySegment capture, int fd, MemorySegment mask) {
            return Native.ioctl(capture, fd, KvmIoctls.KVM_SET_SIGNAL_MASK, mask);
        }
    };
}
