package io.jkvm.runtime.hardware;

import io.jkvm.abi.Errno;
import io.jkvm.abi.Ioctl;
import io.jkvm.abi.KvmCpuid2;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmMsrList;
import io.jkvm.runtime.spi.SystemHandle;
import io.jkvm.runtime.spi.VmHandle;

import java.lang.foreign.Arena;

/** The {@code /dev/kvm} fd: capabilities, host-wide lists, and VM creation. */
final class HardwareSystem implements SystemHandle {
    /** How often {@code KVM_CREATE_VM} is retried when a signal interrupts it (it can return EINTR). */
    private static final int CREATE_VM_ATTEMPTS = 8;

    private final OwnedFd fd;
    private final int vcpuMmapSize;

    /** Opens {@code path} (normally {@code /dev/kvm}) and reads the vcpu mmap size. */
    HardwareSystem(String path) {
        int kick = KickSignal.number();
        KickSignal.checkUnclaimed(kick);
        int f = Native.open(path, Native.O_RDWR, "open " + path);
        this.fd = new OwnedFd(f, path + " fd", null);
        try {
            this.vcpuMmapSize = KvmIoctls.call(f, Ioctl.KVM_GET_VCPU_MMAP_SIZE, 0, path);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    @Override
    public int apiVersion() {
        return call(Ioctl.KVM_GET_API_VERSION, 0, "no argument");
    }

    @Override
    public int checkExtension(int capability) {
        return call(Ioctl.KVM_CHECK_EXTENSION, capability, "capability " + capability);
    }

    @Override
    public int vcpuMmapSize() {
        return vcpuMmapSize;
    }

    /**
     * {@code KVM_GET_MSR_INDEX_LIST} in two steps, as api.rst describes: a call with {@code nmsrs = 0} fails with
     * E2BIG and writes the number of MSRs into {@code nmsrs}; a second call with that much room fills the list.
     */
    @Override
    public int[] msrIndexList() {
        int dev = fd.acquire("KVM_GET_MSR_INDEX_LIST");
        try (Arena arena = Arena.ofConfined()) {
            int needed = 0;
            for (int attempt = 0; attempt < 4; attempt++) {
                KvmMsrList list = KvmMsrList.allocate(arena, needed);
                try {
                    KvmIoctls.call(dev, Ioctl.KVM_GET_MSR_INDEX_LIST, list.segment(), "nmsrs=" + needed);
                } catch (KvmException e) {
                    if (e.errno() != Errno.E2BIG || list.nmsrs() <= needed) {
                        throw e;
                    }
                    needed = list.nmsrs();
                    continue;
                }
                int[] indices = new int[list.nmsrs()];
                for (int i = 0; i < indices.length; i++) {
                    indices[i] = list.indices(i);
                }
                return indices;
            }
            throw new KvmException("KVM_GET_MSR_INDEX_LIST", Errno.E2BIG,
                    "the MSR list kept growing between calls (last size " + needed + ")");
        } finally {
            fd.release();
        }
    }

    @Override
    public void supportedCpuid(KvmCpuid2 cpuid) {
        if (Integer.compareUnsigned(cpuid.nent(), cpuid.capacity()) > 0) {
            throw new KvmException("KVM_GET_SUPPORTED_CPUID", Errno.EFAULT, "nent=" + cpuid.nent()
                    + " but the segment has room for " + cpuid.capacity() + " entries");
        }
        int dev = fd.acquire("KVM_GET_SUPPORTED_CPUID");
        try {
            KvmIoctls.call(dev, Ioctl.KVM_GET_SUPPORTED_CPUID, cpuid.segment(), "room for nent=" + cpuid.nent());
        } finally {
            fd.release();
        }
    }

    @Override
    public VmHandle createVm() {
        int dev = fd.acquire("KVM_CREATE_VM");
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    int vmFd = KvmIoctls.call(dev, Ioctl.KVM_CREATE_VM, 0, "machine type 0");
                    return new HardwareVm(vmFd, vcpuMmapSize);
                } catch (KvmException e) {
                    if (e.errno() != Errno.EINTR || attempt >= CREATE_VM_ATTEMPTS) {
                        throw e;
                    }
                }
            }
        } finally {
            fd.release();
        }
    }

    private int call(Ioctl op, long arg, String about) {
        int dev = fd.acquire(op.name());
        try {
            return KvmIoctls.call(dev, op, arg, about);
        } finally {
            fd.release();
        }
    }

    /** Closes the {@code /dev/kvm} fd; VMs created from it live on (the API closes them first). Idempotent. */
    @Override
    public void close() {
        fd.close();
    }

    boolean isReleased() {
        return fd.isReleased();
    }
}
