package io.jkvm.translator.jit;

import io.jkvm.translator.jit.sys.SystemFamilies;

/**
 * System, I/O, string and flag instructions implemented as {@link HelperOp}s. The families live in
 * {@link io.jkvm.translator.jit.sys}; this class only hands them the helper table.
 */
final class SystemOps {
    private SystemOps() {
    }

    static void register() {
        SystemFamilies.register(Helpers::register);
    }
}
