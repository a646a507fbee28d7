package io.jkvm.runtime.spi;

import io.jkvm.abi.KvmCpuid2;

/** The system-level handle (the {@code /dev/kvm} file descriptor). */
public interface SystemHandle extends AutoCloseable {

    /** {@code KVM_GET_API_VERSION}. */
    int apiVersion();

    /** {@code KVM_CHECK_EXTENSION}: 0 when unsupported, else 1 or a capability-specific value. */
    int checkExtension(int capability);

    /** {@code KVM_GET_VCPU_MMAP_SIZE}: the size of each vcpu's shared run area. */
    int vcpuMmapSize();

    /** {@code KVM_GET_MSR_INDEX_LIST}. */
    int[] msrIndexList();

    /**
     * {@code KVM_GET_SUPPORTED_CPUID}: fills {@code cpuid} (whose {@code nent} says how many entries fit) and sets
     * {@code nent} to the number written; E2BIG when they do not fit.
     */
    void supportedCpuid(KvmCpuid2 cpuid);

    /** {@code KVM_CREATE_VM} with machine type 0. */
    VmHandle createVm();

    @Override
    void close();
}
