package io.jkvm.translator.jit;

import java.util.concurrent.atomic.LongAdder;

/** Counters of the translator, exposed through the API and {@code jkvm run --stats}. */
public final class TranslationStats {
    final LongAdder regionsTranslated = new LongAdder();
    final LongAdder instructionsTranslated = new LongAdder();
    final LongAdder bytecodeBytes = new LongAdder();
    final LongAdder translationNanos = new LongAdder();
    final LongAdder invalidations = new LongAdder();
    final LongAdder jumpCacheHits = new LongAdder();
    final LongAdder jumpCacheMisses = new LongAdder();

    public long regionsTranslated() {
        return regionsTranslated.sum();
    }

    public long instructionsTranslated() {
        return instructionsTranslated.sum();
    }

    public long bytecodeBytes() {
        return bytecodeBytes.sum();
    }

    public long translationNanos() {
        return translationNanos.sum();
    }

    /** Regions dropped because guest code they were translated from was overwritten. */
    public long invalidations() {
        return invalidations.sum();
    }

    /** Dispatches served by a vcpu's jump cache (no cache lookup, no translation). */
    public long jumpCacheHits() {
        return jumpCacheHits.sum();
    }

    public long jumpCacheMisses() {
        return jumpCacheMisses.sum();
    }
}
