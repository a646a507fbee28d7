package io.jkvm.translator.jit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The background warm-up swallows failures, so check here that its region really translates and defines. */
class WarmUpTest {
    @Test
    void theWarmUpRegionTranslatesAndPassesTheVerifier() {
        assertNotNull(Engine.warmUpRegion());
    }
}
