package io.jkvm.translator.jit;

/** System, I/O, string and flag instructions implemented as {@link HelperOp}s. */
final class SystemOps {
    private SystemOps() {
    }

    static void register() {
    }
}
