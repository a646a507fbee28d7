package io.jkvm.runtime.cli;

import io.jkvm.runtime.Backend;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * 'jkvm run --backend hardware' on every compute guest at small size: each prints PASS and exits 0, and a corrupted
 * expected answer is reported as FAIL. Skipped, with the reason, where /dev/kvm is absent (run it on such a host
 * with runtime/src/test/java/io/jkvm/runtime/hardware/run-in-nested-kvm.sh io.jkvm.runtime.cli.HardwareGuestRunTest).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class HardwareGuestRunTest {

    @BeforeEach
    void needsKvm() {
        String reason = Backend.HARDWARE.unavailableReason();
        assumeTrue(reason == null, "needs /dev/kvm: " + reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.jkvm.runtime.cli.GuestRunTest#computeGuests")
    void computeGuestsPassOnTheHardwareBackend(String name) {
        Cli.Result r = Cli.run("run", "--backend=hardware", "--timeout=120s", "--memory=64M", name, "small");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("PASS " + name + " ")), r.toString());
    }

    @Test
    void aCorruptedExpectedAnswerIsReportedAsFail() {
        Cli.Result r = Cli.run("run", "--backend=hardware", "--timeout=120s", "sha256", "small", "expect=0");
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("FAIL sha256")), r.toString());
    }
}
