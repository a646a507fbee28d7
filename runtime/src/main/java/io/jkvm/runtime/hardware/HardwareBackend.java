package io.jkvm.runtime.hardware;

import io.jkvm.abi.Errno;
import io.jkvm.abi.Ioctl;
import io.jkvm.abi.KvmApi;
import io.jkvm.abi.KvmException;
import io.jkvm.runtime.spi.BackendProvider;
import io.jkvm.runtime.spi.SystemHandle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The hardware backend: the host's {@code /dev/kvm}, driven through the FFM API with the structures of
 * {@code io.jkvm.abi} passed to the kernel as their native segments. It is also the oracle the JIT backend is
 * checked against.
 *
 * <p>Handles: {@link HardwareSystem} ({@code /dev/kvm}), {@link HardwareVm} (a VM fd), {@link HardwareVcpu} (a vcpu
 * fd and its mapped {@code kvm_run}; its class comment describes how {@code kick()} works). Every failing call
 * becomes a {@link KvmException} with the ioctl's {@code kvm.h} name, the kernel's errno and what to check.
 * {@link Native} holds the libc bindings.
 */
public final class HardwareBackend implements BackendProvider {
    /** The KVM device. */
    public static final String DEVICE = "/dev/kvm";

    private final String device;

    /** The backend over {@value #DEVICE}; instantiated by {@code Backend.HARDWARE} through reflection. */
    public HardwareBackend() {
        this(DEVICE);
    }

    /** A backend over another device node (tests). */
    HardwareBackend(String device) {
        this.device = device;
    }

    @Override
    public String name() {
        return "hardware";
    }

    /**
     * Why this host cannot run the hardware backend, or {@code null}: not Linux on x86-64, no {@code /dev/kvm}, no
     * permission to open it, libc not linkable through FFM, or an unexpected API version. Each reason says what to
     * do about it.
     */
    @Override
    public String unavailableReason() {
        String os = System.getProperty("os.name", "?");
        String arch = System.getProperty("os.arch", "?");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "the hardware backend needs Linux with KVM (" + device + "); this is " + os
                    + " (use --backend jit)";
        }
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            return "the hardware backend runs x86-64 guests on an x86-64 host; this JVM is " + arch
                    + " (use --backend jit)";
        }
        if (!Files.exists(Path.of(device))) {
            return device + " does not exist on this host (no KVM: load kvm_intel, kvm_amd or kvm_pvm, "
                    + "or use --backend jit)";
        }
        try {
            Native.sysconf(Native._SC_PAGESIZE);
        } catch (LinkageError | IllegalCallerException e) {
            return "cannot bind libc through the FFM API (" + e + "); run with --enable-native-access=ALL-UNNAMED";
        }
        int fd;
        try {
            fd = Native.open(device, Native.O_RDWR, "open " + device);
        } catch (KvmException e) {
            Errno errno = e.errno();
            if (errno == Errno.EACCES || errno == Errno.EPERM) {
                return "permission denied opening " + device + ": add yourself to the kvm group "
                        + "(sudo usermod -aG kvm $USER, then log in again) or use --backend jit";
            }
            if (errno == Errno.ENXIO || errno == Errno.ENODEV) {
                return device + " exists but no KVM module backs it (" + errno + "): load kvm_intel, kvm_amd or "
                        + "kvm_pvm (a kernel that is itself a PVM guest cannot host KVM), or use --backend jit";
            }
            return "cannot open " + device + ": " + e.getMessage() + " (use --backend jit)";
        }
        try {
            int version = KvmIoctls.call(fd, Ioctl.KVM_GET_API_VERSION, 0, device);
            if (version != KvmApi.KVM_API_VERSION) {
                return device + " reports KVM API version " + version + "; jkvm needs " + KvmApi.KVM_API_VERSION;
            }
        } catch (KvmException e) {
            return device + " does not answer KVM_GET_API_VERSION (" + e.getMessage() + "); is it really KVM?";
        } finally {
            Native.close(fd, "close " + device);
        }
        return null;
    }

    @Override
    public SystemHandle open() {
        return new HardwareSystem(device);
    }
}
