package io.jkvm.translator.jit.sys;

import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.jit.HelperOp;

/**
 * Where the op families of this package put their helpers. {@code SystemOps} passes {@code Helpers.register} in
 * as this, so the helper table stays private to the JIT core.
 */
@FunctionalInterface
public interface OpTable {
    /**
     * @param endsRegion true for instructions that change control flow, CPL, the CPU mode, paging or IF: the
     *                   region must return to the executor after them
     */
    void add(Mnemonic m, boolean endsRegion, HelperOp op);
}
