package io.jkvm.runtime.spi;

/**
 * What a backend implements: the KVM ioctls, one method each, over the {@code io.jkvm.abi} structures. The public
 * API ({@code Kvm}, {@code Vm}, {@code Vcpu}) validates what is common to both backends and delegates here, so a
 * backend plugs in without any change to the API. Methods fail with {@link io.jkvm.abi.KvmException} carrying the
 * errno the real {@code /dev/kvm} returns for the same call.
 */
public interface BackendProvider {

    /** Short name as used on the command line: {@code jit} or {@code hardware}. */
    String name();

    /** Why this backend cannot run here, or {@code null} when it can. */
    String unavailableReason();

    /** The equivalent of {@code open("/dev/kvm")}. */
    SystemHandle open();
}
