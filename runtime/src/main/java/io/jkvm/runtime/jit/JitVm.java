package io.jkvm.runtime.jit;

import io.jkvm.abi.Capability;
import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmClearDirtyLog;
import io.jkvm.abi.KvmDirtyLog;
import io.jkvm.abi.KvmEnableCap;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmUserspaceMemoryRegion;
import io.jkvm.mmu.GuestMemory;
import io.jkvm.mmu.MemorySlot;
import io.jkvm.runtime.spi.VcpuHandle;
import io.jkvm.runtime.spi.VmHandle;
import io.jkvm.translator.jit.Engine;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A VM on the JIT backend: guest memory, the translator shared by its vcpus, and VM-wide capabilities. */
final class JitVm implements VmHandle {
    private final GuestMemory memory = new GuestMemory(JitCapabilities.MEMORY_SLOTS);
    private final Engine engine = new Engine(memory);
    private final Map<Integer, JitVcpuHandle> vcpus = new ConcurrentHashMap<>();
    /** VM-wide settings applied to every vcpu (existing and future). */
    volatile int userSpaceMsrReasons;
    volatile long hypercallExitMask;
    volatile boolean cpuidExit;

    Engine engine() {
        return engine;
    }

    @Override
    public int checkExtension(int capability) {
        return JitCapabilities.check(capability);
    }

    @Override
    public void setUserMemoryRegion(KvmUserspaceMemoryRegion region, MemorySegment memorySegment) {
        int slot = region.slot();
        if ((slot >>> 16) != 0) {
            throw new KvmException("KVM_SET_USER_MEMORY_REGION", Errno.EINVAL,
                    "address space " + (slot >>> 16) + " does not exist on x86 without SMM (slot 0x"
                            + Integer.toHexString(slot) + ")");
        }
        MemorySlot old = memory.slot(slot & 0xffff);
        memory.setUserMemoryRegion(slot & 0xffff, region.flags(), region.guestPhysAddr(), region.memorySize(),
                memorySegment);
        if (old != null) {
            // Translations from the old range may refer to memory that moved or disappeared.
            memory.codeMap().clearRange(old.guestPhysAddr(), old.size());
        }
    }

    /**
     * After a harvest cleared dirty bits: before it returns, no running vcpu may still write through a TLB entry
     * that bypasses the log (KVM flushes remote TLBs at the same point). A write in between lands in a page just
     * reported dirty, which userspace copies after the call returns.
     */
    private void syncRunningVcpus(String operation) {
        for (JitVcpuHandle v : vcpus.values()) {
            if (!v.engineVcpu().awaitTlbSync(5_000_000_000L)) {
                throw new KvmException(operation, Errno.EBUSY, "vcpu did not reach a TLB sync point within 5 s");
            }
        }
    }

    @Override
    public void getDirtyLog(KvmDirtyLog log) {
        int slot = log.slot() & 0xffff;
        MemorySlot s = memory.slot(slot);
        if (s == null) {
            throw new KvmException("KVM_GET_DIRTY_LOG", Errno.ENOENT, "slot " + slot + " does not exist");
        }
        long bytes = ((s.size() >>> 12) + 63) / 64 * 8;
        memory.getDirtyLog(slot, MemorySegment.ofAddress(log.dirtyBitmap()).reinterpret(bytes));
        syncRunningVcpus("KVM_GET_DIRTY_LOG");
    }

    @Override
    public void clearDirtyLog(KvmClearDirtyLog log) {
        long bytes = ((log.numPages() & 0xffffffffL) + 63) / 64 * 8;
        memory.clearDirtyLog(log.slot() & 0xffff, log.firstPage(), log.numPages(),
                MemorySegment.ofAddress(log.dirtyBitmap()).reinterpret(Math.max(8, bytes)));
        syncRunningVcpus("KVM_CLEAR_DIRTY_LOG");
    }

    @Override
    public int enableCap(KvmEnableCap cap) {
        Capability c = Capability.of(cap.cap());
        if (c == null || JitCapabilities.check(cap.cap()) == 0) {
            throw new KvmException("KVM_ENABLE_CAP", Errno.EINVAL,
                    "capability " + cap.cap() + " is not supported by the jit backend (check it first)");
        }
        switch (c) {
            case MANUAL_DIRTY_LOG_PROTECT2 -> memory.enableManualDirtyLogProtect(cap.args(0));
            case X86_USER_SPACE_MSR -> {
                long reasons = cap.args(0);
                if ((reasons & ~JitCapabilities.USER_SPACE_MSR_REASONS) != 0) {
                    throw new KvmException("KVM_ENABLE_CAP", Errno.EINVAL, "unknown MSR exit reasons 0x"
                            + Long.toHexString(reasons));
                }
                userSpaceMsrReasons = (int) reasons;
            }
            case EXIT_HYPERCALL -> hypercallExitMask = cap.args(0);
            case JKVM_CPUID_EXIT -> cpuidExit = cap.args(0) != 0;
            default -> throw new KvmException("KVM_ENABLE_CAP", Errno.EINVAL,
                    Capability.of(cap.cap()) + " cannot be enabled on a VM");
        }
        for (JitVcpuHandle v : vcpus.values()) {
            v.applyVmSettings(this);
        }
        return 0;
    }

    @Override
    public void setTssAddr(long address) {
        // Only needed by VMX for real-mode emulation; accepted for compatibility, as KVM does on other hosts.
        if (address + 3 * 4096 > 0x1_0000_0000L) {
            throw new KvmException("KVM_SET_TSS_ADDR", Errno.EINVAL, "the TSS area must lie below 4 GiB");
        }
    }

    @Override
    public void setIdentityMapAddr(long address) {
        if ((address & 0xfff) != 0) {
            throw new KvmException("KVM_SET_IDENTITY_MAP_ADDR", Errno.EINVAL, "address must be page aligned");
        }
    }

    @Override
    public VcpuHandle createVcpu(int id) {
        if (id < 0 || id >= JitCapabilities.MAX_VCPUS) {
            throw new KvmException("KVM_CREATE_VCPU", Errno.EINVAL,
                    "vcpu id " + id + " is outside 0.." + (JitCapabilities.MAX_VCPUS - 1));
        }
        JitVcpuHandle v = new JitVcpuHandle(this, id);
        if (vcpus.putIfAbsent(id, v) != null) {
            v.close();
            throw new KvmException("KVM_CREATE_VCPU", Errno.EEXIST, "vcpu id " + id + " already exists");
        }
        v.applyVmSettings(this);
        return v;
    }

    void forget(int id) {
        vcpus.remove(id);
    }

    @Override
    public void close() {
        for (JitVcpuHandle v : vcpus.values()) {
            v.close();
        }
        engine.invalidateAll();
    }
}
