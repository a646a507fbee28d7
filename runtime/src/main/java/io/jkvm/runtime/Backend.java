package io.jkvm.runtime;

import io.jkvm.runtime.spi.BackendProvider;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * The two engines behind one API. {@link #JIT} translates guest code to JVM bytecode and runs anywhere;
 * {@link #HARDWARE} drives the host's {@code /dev/kvm} through the FFM API and is also the oracle the JIT is checked
 * against.
 */
public enum Backend {
    JIT("io.jkvm.runtime.jit.JitBackend"),
    HARDWARE("io.jkvm.runtime.hardware.HardwareBackend");

    private final String providerClass;
    private volatile BackendProvider provider;

    Backend(String providerClass) {
        this.providerClass = providerClass;
    }

    /** The lower-case name used on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code jit} or {@code hardware} (any case). */
    public static Backend fromName(String name) {
        for (Backend b : values()) {
            if (b.name().equalsIgnoreCase(name)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "': use jit or hardware");
    }

    /** Why this backend cannot run on this host, or {@code null} when it can. */
    public String unavailableReason() {
        return provider().unavailableReason();
    }

    public boolean isAvailable() {
        return unavailableReason() == null;
    }

    BackendProvider provider() {
        BackendProvider p = provider;
        if (p == null) {
            synchronized (this) {
                p = provider;
                if (p == null) {
                    p = instantiate(providerClass);
                    provider = p;
                }
            }
        }
        return p;
    }

    private static BackendProvider instantiate(String className) {
        Supplier<String> what = () -> "backend implementation " + className;
        try {
            return (BackendProvider) Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(what.get() + " is missing from the class path", e);
        }
    }
}
