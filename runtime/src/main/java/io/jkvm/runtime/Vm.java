package io.jkvm.runtime;

import io.jkvm.abi.Capability;
import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmClearDirtyLog;
import io.jkvm.abi.KvmDirtyLog;
import io.jkvm.abi.KvmEnableCap;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmUserspaceMemoryRegion;
import io.jkvm.runtime.spi.VmHandle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A virtual machine: guest physical memory (slots over memory the caller owns, as KVM's {@code userspace_addr}),
 * its vcpus, and VM-wide settings. Closing it closes its vcpus. The caller keeps ownership of slot memory and
 * must keep it alive while the slot exists.
 */
public final class Vm implements AutoCloseable {
    private static final long PAGE_SIZE = 4096;

    private final Kvm kvm;
    private final VmHandle handle;
    private final Map<Integer, Vcpu> vcpus = new HashMap<>();
    /** Slot sizes as last accepted, so that dirty-log bitmaps can be sized for the caller. */
    private final Map<Integer, Long> slotSizes = new HashMap<>();
    private boolean closed;

    Vm(Kvm kvm, VmHandle handle) {
        this.kvm = kvm;
        this.handle = handle;
    }

    public Kvm kvm() {
        return kvm;
    }

    /** {@code KVM_CHECK_EXTENSION} on the VM. */
    public int checkExtension(Capability capability) {
        return handle().checkExtension(capability.number());
    }

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}: maps {@code memory} at guest physical address {@code guestPhysAddr}
     * as slot {@code slot}. {@code memory} must be native memory (e.g. from an {@link Arena}), page aligned, a
     * whole number of pages; a null or empty segment deletes the slot, as {@code memory_size == 0} does in KVM.
     *
     * @param flags {@code KVM_MEM_LOG_DIRTY_PAGES} and/or {@code KVM_MEM_READONLY} (see {@code io.jkvm.abi.MemFlags})
     */
    public void setUserMemoryRegion(int slot, int flags, long guestPhysAddr, MemorySegment memory) {
        VmHandle h = handle();
        long size = memory == null ? 0 : memory.byteSize();
        if (memory != null && size != 0 && !memory.isNative()) {
            throw new KvmException("KVM_SET_USER_MEMORY_REGION", Errno.EFAULT,
                    "slot " + slot + ": userspace memory must be native (allocate it from an Arena), not a heap segment");
        }
        try (Arena arena = Arena.ofConfined()) {
            KvmUserspaceMemoryRegion region = KvmUserspaceMemoryRegion.allocate(arena)
                    .slot(slot).flags(flags).guestPhysAddr(guestPhysAddr).memorySize(size)
                    .userspaceAddr(size == 0 ? 0 : memory.address());
            h.setUserMemoryRegion(region, size == 0 ? null : memory);
        }
        synchronized (this) {
            if (size == 0) {
                slotSizes.remove(slot);
            } else {
                slotSizes.put(slot, size);
            }
        }
    }

    /** Deletes a slot (a region of size 0). */
    public void deleteMemoryRegion(int slot) {
        setUserMemoryRegion(slot, 0, 0, null);
    }

    /**
     * {@code KVM_GET_DIRTY_LOG}: the pages of {@code slot} written since the last call, one bit per 4 KiB page
     * (bit {@code n % 64} of word {@code n / 64} is page {@code n}). The slot must log dirty pages.
     */
    public long[] getDirtyLog(int slot) {
        VmHandle h = handle();
        long pages = pagesOf(slot, "KVM_GET_DIRTY_LOG");
        int words = (int) ((pages + 63) / 64);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bitmap = arena.allocate((long) words * 8, 8);
            KvmDirtyLog log = KvmDirtyLog.allocate(arena).slot(slot).dirtyBitmap(bitmap.address());
            h.getDirtyLog(log);
            return bitmap.toArray(ValueLayout.JAVA_LONG);
        }
    }

    /**
     * {@code KVM_CLEAR_DIRTY_LOG} (with {@code KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2} enabled): re-protects the pages
     * whose bits are set in {@code bitmap}, counted from {@code firstPage}.
     */
    public void clearDirtyLog(int slot, long firstPage, int numPages, long[] bitmap) {
        VmHandle h = handle();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bits = arena.allocate(Math.max(8, (long) bitmap.length * 8), 8);
            MemorySegment.copy(bitmap, 0, bits, ValueLayout.JAVA_LONG, 0, bitmap.length);
            KvmClearDirtyLog log = KvmClearDirtyLog.allocate(arena).slot(slot).firstPage(firstPage)
                    .numPages(numPages).dirtyBitmap(bits.address());
            h.clearDirtyLog(log);
        }
    }

    private synchronized long pagesOf(int slot, String operation) {
        Long size = slotSizes.get(slot & 0xffff);
        if (size == null) {
            throw new KvmException(operation, Errno.ENOENT, "slot " + slot + " has no memory region");
        }
        return size / PAGE_SIZE;
    }

    /** {@code KVM_ENABLE_CAP} on the VM, with up to four arguments. Returns the ioctl's result (usually 0). */
    public int enableCap(Capability capability, long... args) {
        if (args.length > 4) {
            throw new KvmException("KVM_ENABLE_CAP", Errno.EINVAL, "at most 4 arguments, got " + args.length);
        }
        VmHandle h = handle();
        try (Arena arena = Arena.ofConfined()) {
            KvmEnableCap cap = KvmEnableCap.allocate(arena).cap(capability.number());
            for (int i = 0; i < args.length; i++) {
                cap.args(i, args[i]);
            }
            return h.enableCap(cap);
        }
    }

    /** {@code KVM_SET_TSS_ADDR}: three pages of guest physical space x86 KVM reserves (below 4 GiB). */
    public void setTssAddr(long address) {
        handle().setTssAddr(address);
    }

    /** {@code KVM_SET_IDENTITY_MAP_ADDR}: one page of guest physical space x86 KVM reserves. */
    public void setIdentityMapAddr(long address) {
        handle().setIdentityMapAddr(address);
    }

    /** {@code KVM_CREATE_VCPU}. A duplicate id fails with EEXIST, as in KVM. */
    public Vcpu createVcpu(int id) {
        VmHandle h = handle();
        synchronized (this) {
            if (vcpus.containsKey(id)) {
                throw new KvmException("KVM_CREATE_VCPU", Errno.EEXIST, "vcpu id " + id + " already exists in this VM");
            }
            Vcpu vcpu = new Vcpu(this, id, h.createVcpu(id));
            vcpus.put(id, vcpu);
            return vcpu;
        }
    }

    /** The vcpus created so far, in creation order of their ids. */
    public synchronized List<Vcpu> vcpus() {
        return new ArrayList<>(vcpus.values());
    }

    synchronized void forget(Vcpu vcpu) {
        vcpus.remove(vcpu.id(), vcpu);
    }

    VmHandle handle() {
        synchronized (this) {
            if (closed) {
                throw new KvmException("VM ioctl", Errno.EBADF, "this Vm was closed");
            }
        }
        return handle;
    }

    /** Closes every vcpu, then the VM. Idempotent. Slot memory stays the caller's. */
    @Override
    public void close() {
        List<Vcpu> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(vcpus.values());
            vcpus.clear();
        }
        for (Vcpu v : toClose) {
            v.close();
        }
        handle.close();
        kvm.forget(this);
    }
}
