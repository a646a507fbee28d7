package io.jkvm.runtime.hardware;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.jkvm.abi.Errno;
import io.jkvm.abi.Ioctl;
import io.jkvm.abi.KvmClearDirtyLog;
import io.jkvm.abi.KvmDirtyLog;
import io.jkvm.abi.KvmEnableCap;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmUserspaceMemoryRegion;
import io.jkvm.runtime.spi.VcpuHandle;
import io.jkvm.runtime.spi.VmHandle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * A VM fd of {@code /dev/kvm}. Memory slots point the kernel at the caller's native segments
 * ({@code userspace_addr} is the segment's address); this object keeps a reference to each slot's segment while the
 * slot exists, and refuses a region that is not wholly inside a live native segment, since the kernel would accept
 * any user address and the guest would then read or write unrelated process memory.
 */
final class HardwareVm implements VmHandle {
    private final OwnedFd fd;
    private final long vcpuMmapSize;
    /** Slot id (including the address-space bits) to the segment backing it; guarded by itself. */
    private final Map<Integer, MemorySegment> slots = new HashMap<>();

    /** Takes ownership of {@code vmFd}. */
    HardwareVm(int vmFd, long vcpuMmapSize) {
        this.fd = new OwnedFd(vmFd, "VM fd", null);
        this.vcpuMmapSize = vcpuMmapSize;
    }

    @Override
    public int checkExtension(int capability) {
        return call(Ioctl.KVM_CHECK_EXTENSION, capability, "capability " + capability + " on the VM fd");
    }

    @Override
    public void setUserMemoryRegion(KvmUserspaceMemoryRegion region, MemorySegment memory) {
        String about = describe(region);
        long size = region.memorySize();
        if (size != 0) {
            checkBacking(region, memory, about);
        }
        int vmFd = fd.acquire("KVM_SET_USER_MEMORY_REGION");
        try {
            KvmIoctls.call(vmFd, Ioctl.KVM_SET_USER_MEMORY_REGION, region.segment(), about);
            synchronized (slots) {
                if (size == 0) {
                    slots.remove(region.slot());
                } else {
                    slots.put(region.slot(), memory);
                }
            }
        } finally {
            fd.release();
        }
    }

    private static String describe(KvmUserspaceMemoryRegion r) {
        return "slot " + r.slot() + " flags 0x" + Integer.toHexString(r.flags()) + " guest_phys_addr 0x"
                + Long.toHexString(r.guestPhysAddr()) + " memory_size 0x" + Long.toHexString(r.memorySize())
                + " userspace_addr 0x" + Long.toHexString(r.userspaceAddr());
    }

    /** The region must lie inside {@code memory}, a live native segment. */
    private static void checkBacking(KvmUserspaceMemoryRegion region, MemorySegment memory, String about) {
        String op = "KVM_SET_USER_MEMORY_REGION";
        if (memory == null) {
            throw new KvmException(op, Errno.EFAULT, about + ": no segment backs the region");
        }
        if (!memory.isNative()) {
            throw new KvmException(op, Errno.EFAULT, about + ": the memory is a heap segment; guest memory must be "
                    + "native (allocate it from an Arena)");
        }
        if (!memory.scope().isAlive()) {
            throw new KvmException(op, Errno.EFAULT, about + ": the segment's arena is already closed");
        }
        if (memory.isReadOnly()) {
            throw new KvmException(op, Errno.EFAULT, about + ": the segment is read-only; KVM maps guest memory "
                    + "writable (use KVM_MEM_READONLY for a read-only slot)");
        }
        long start = region.userspaceAddr() - memory.address();
        if (start < 0 || start > memory.byteSize() || region.memorySize() > memory.byteSize() - start) {
            throw new KvmException(op, Errno.EFAULT, about + ": the region is not inside its segment [0x"
                    + Long.toHexString(memory.address()) + ", +0x" + Long.toHexString(memory.byteSize()) + ")");
        }
    }

    /** The segment backing {@code slot}, or {@code null}; for tests and diagnostics. */
    MemorySegment slotMemory(int slot) {
        synchronized (slots) {
            return slots.get(slot);
        }
    }

    @Override
    public void getDirtyLog(KvmDirtyLog log) {
        call(Ioctl.KVM_GET_DIRTY_LOG, log.segment(), "slot " + log.slot() + " dirty_bitmap 0x"
                + Long.toHexString(log.dirtyBitmap()));
    }

    @Override
    public void clearDirtyLog(KvmClearDirtyLog log) {
        call(Ioctl.KVM_CLEAR_DIRTY_LOG, log.segment(), "slot " + log.slot() + " first_page " + log.firstPage()
                + " num_pages " + Integer.toUnsignedString(log.numPages()));
    }

    @Override
    public int enableCap(KvmEnableCap cap) {
        return call(Ioctl.KVM_ENABLE_CAP, cap.segment(), "cap=" + cap.cap() + " on the VM fd");
    }

    @Override
    public void setTssAddr(long address) {
        call(Ioctl.KVM_SET_TSS_ADDR, address, "address 0x" + Long.toHexString(address));
    }

    @Override
    public void setIdentityMapAddr(long address) {
        int vmFd = fd.acquire("KVM_SET_IDENTITY_MAP_ADDR");
        try (Arena arena = Arena.ofConfined()) {
            // Declared _IOW(KVMIO, 0x48, __u64): the argument points at the address.
            MemorySegment arg = arena.allocate(JAVA_LONG);
            arg.set(JAVA_LONG, 0, address);
            KvmIoctls.call(vmFd, Ioctl.KVM_SET_IDENTITY_MAP_ADDR, arg, "address 0x" + Long.toHexString(address));
        } finally {
            fd.release();
        }
    }

    @Override
    public VcpuHandle createVcpu(int id) {
        int vmFd = fd.acquire("KVM_CREATE_VCPU");
        try {
            int vcpuFd = KvmIoctls.call(vmFd, Ioctl.KVM_CREATE_VCPU, Integer.toUnsignedLong(id), "vcpu id " + id);
            return new HardwareVcpu(id, vcpuFd, vcpuMmapSize);
        } finally {
            fd.release();
        }
    }

    private int call(Ioctl op, MemorySegment arg, String about) {
        int vmFd = fd.acquire(op.name());
        try {
            return KvmIoctls.call(vmFd, op, arg, about);
        } finally {
            fd.release();
        }
    }

    private int call(Ioctl op, long arg, String about) {
        int vmFd = fd.acquire(op.name());
        try {
            return KvmIoctls.call(vmFd, op, arg, about);
        } finally {
            fd.release();
        }
    }

    /**
     * Closes the VM fd (the kernel destroys the VM once its vcpu fds are closed too) and drops the references to
     * slot memory. Idempotent.
     */
    @Override
    public void close() {
        fd.close();
        synchronized (slots) {
            slots.clear();
        }
    }

    boolean isReleased() {
        return fd.isReleased();
    }
}
