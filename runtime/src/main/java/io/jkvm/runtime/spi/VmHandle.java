package io.jkvm.runtime.spi;

import io.jkvm.abi.KvmClearDirtyLog;
import io.jkvm.abi.KvmDirtyLog;
import io.jkvm.abi.KvmEnableCap;
import io.jkvm.abi.KvmUserspaceMemoryRegion;

import java.lang.foreign.MemorySegment;

/** A VM handle (the fd {@code KVM_CREATE_VM} returns). */
public interface VmHandle extends AutoCloseable {

    /** {@code KVM_CHECK_EXTENSION} on the VM fd (may differ from the system answer, e.g. NR_MEMSLOTS). */
    int checkExtension(int capability);

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}. {@code memory} is the segment whose address the region's
     * {@code userspace_addr} holds (null when the region deletes a slot).
     */
    void setUserMemoryRegion(KvmUserspaceMemoryRegion region, MemorySegment memory);

    /** {@code KVM_GET_DIRTY_LOG}: {@code log.dirty_bitmap} points at a native buffer big enough for the slot. */
    void getDirtyLog(KvmDirtyLog log);

    /** {@code KVM_CLEAR_DIRTY_LOG}. */
    void clearDirtyLog(KvmClearDirtyLog log);

    /** {@code KVM_ENABLE_CAP} on the VM fd; returns the ioctl's result. */
    int enableCap(KvmEnableCap cap);

    /** {@code KVM_SET_TSS_ADDR}. */
    void setTssAddr(long address);

    /** {@code KVM_SET_IDENTITY_MAP_ADDR}. */
    void setIdentityMapAddr(long address);

    /** {@code KVM_CREATE_VCPU}. */
    VcpuHandle createVcpu(int id);

    @Override
    void close();
}
