package io.jkvm.runtime.jit;

import io.jkvm.runtime.spi.BackendProvider;
import io.jkvm.runtime.spi.SystemHandle;

/** The software backend: guest code translated to JVM bytecode. Runs on any JVM, needs no privileges. */
public final class JitBackend implements BackendProvider {
    @Override
    public String name() {
        return "jit";
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public SystemHandle open() {
        return new JitSystem();
    }
}
