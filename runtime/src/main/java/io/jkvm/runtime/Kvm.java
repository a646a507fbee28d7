package io.jkvm.runtime;

import io.jkvm.abi.Capability;
import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmCpuid2;
import io.jkvm.abi.KvmException;
import io.jkvm.runtime.spi.SystemHandle;

import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * The system handle: jkvm's {@code open("/dev/kvm")}. Obtain one with {@link #open(Backend)}, ask it what it
 * supports, and create VMs. Closing it closes every VM (and so every vcpu) created from it.
 *
 * <pre>{@code
 * try (Kvm kvm = Kvm.open(Backend.JIT); Vm vm = kvm.createVm()) {
 *     vm.setUserMemoryRegion(0, 0, 0x0, ram);
 *     Vcpu vcpu = vm.createVcpu(0);
 *     ...
 *     KvmRun run = vcpu.run();
 * }
 * }</pre>
 */
public final class Kvm implements AutoCloseable {
    /** The only API version KVM has ever had since 2.6.22, and the one jkvm implements. */
    public static final int API_VERSION = 12;

    private final Backend backend;
    private final SystemHandle handle;
    private final List<Vm> vms = new ArrayList<>();
    private boolean closed;

    private Kvm(Backend backend, SystemHandle handle) {
        this.backend = backend;
        this.handle = handle;
    }

    /**
     * Opens the given backend. Fails with {@code KvmException(ENOENT)} naming the reason when the backend cannot
     * run here (e.g. {@code /dev/kvm} is absent for {@link Backend#HARDWARE}).
     */
    public static Kvm open(Backend backend) {
        String reason = backend.unavailableReason();
        if (reason != null) {
            throw new KvmException("open " + backend.cliName(), Errno.ENOENT, reason);
        }
        SystemHandle h = backend.provider().open();
        Kvm kvm = new Kvm(backend, h);
        if (h.apiVersion() != API_VERSION) {
            h.close();
            throw new KvmException("KVM_GET_API_VERSION", Errno.EINVAL,
                    "backend reports API version " + h.apiVersion() + ", jkvm needs " + API_VERSION);
        }
        return kvm;
    }

    /** Opens the software (JIT) backend, which runs on any JVM. */
    public static Kvm open() {
        return open(Backend.JIT);
    }

    public Backend backend() {
        return backend;
    }

    /** {@code KVM_GET_API_VERSION}: always 12. */
    public int apiVersion() {
        return handle().apiVersion();
    }

    /** {@code KVM_CHECK_EXTENSION}: 0 when unsupported, else 1 or a capability-specific value. */
    public int checkExtension(Capability capability) {
        return handle().checkExtension(capability.number());
    }

    public boolean hasExtension(Capability capability) {
        return checkExtension(capability) > 0;
    }

    /** {@code KVM_GET_VCPU_MMAP_SIZE}. */
    public int vcpuMmapSize() {
        return handle().vcpuMmapSize();
    }

    /** {@code KVM_GET_MSR_INDEX_LIST}: the MSRs that {@code getMsrs}/{@code setMsrs} accept. */
    public int[] msrIndexList() {
        return handle().msrIndexList();
    }

    /**
     * {@code KVM_GET_SUPPORTED_CPUID}: the CPUID leaves this backend can offer a guest, allocated with
     * {@code allocator}. Pass the result (possibly edited) to {@link Vcpu#setCpuid2(KvmCpuid2)}.
     */
    public KvmCpuid2 supportedCpuid(SegmentAllocator allocator) {
        int capacity = 64;
        while (true) {
            KvmCpuid2 cpuid = KvmCpuid2.allocate(allocator, capacity);
            cpuid.nent(capacity);
            try {
                handle().supportedCpuid(cpuid);
                return cpuid;
            } catch (KvmException e) {
                if (e.errno() != Errno.E2BIG || capacity >= 4096) {
                    throw e;
                }
                capacity *= 2;
            }
        }
    }

    /** {@code KVM_CREATE_VM}. */
    public synchronized Vm createVm() {
        Vm vm = new Vm(this, handle().createVm());
        vms.add(vm);
        return vm;
    }

    synchronized void forget(Vm vm) {
        vms.remove(vm);
    }

    private synchronized SystemHandle handle() {
        if (closed) {
            throw new KvmException("ioctl on /dev/kvm", Errno.EBADF, "this Kvm handle was closed");
        }
        return handle;
    }

    /** Closes every VM created from this handle, then the handle itself. Idempotent. */
    @Override
    public void close() {
        List<Vm> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(vms);
            vms.clear();
        }
        RuntimeException failure = null;
        for (Vm vm : toClose) {
            try {
                vm.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        handle.close();
        if (failure != null) {
            throw failure;
        }
    }
}
