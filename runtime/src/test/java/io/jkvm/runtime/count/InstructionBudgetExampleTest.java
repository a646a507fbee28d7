package io.jkvm.runtime.count;

import io.jkvm.runtime.Backend;
import io.jkvm.runtime.loader.Image;
import io.jkvm.runtime.loader.TestGuests;
import io.jkvm.runtime.vmm.GuestRunner;
import io.jkvm.runtime.vmm.Outcome;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example of README.md ("Performance tests that count instructions"), kept compiling and passing here: a
 * performance test of guest code that asserts on the number of instructions the guest retired instead of on time.
 * The count is exact and the same on every run and every machine load (see {@link InstructionCountTest}), so the
 * bound can be tight without making the test flaky. (The exact figure depends on the compiler that built the guest:
 * a real project would pin its toolchain or its binary and assert on the exact count.)
 */
class InstructionBudgetExampleTest {
    @Test
    void sha256SmallStaysWithinItsInstructionBudget() throws Exception {
        GuestRunner runner = GuestRunner.builder().backend(Backend.JIT).memory(64 << 20).build();
        GuestRunner.RunResult result = runner.run(Image.read(TestGuests.image("sha256.elf")), "sha256 small", true);

        assertEquals(new Outcome.GuestExit(0), result.outcome());
        long retired = result.statistics().guestInstructions().orElseThrow();
        assertTrue(retired < 2_500_000, "sha256 small retired " + retired + " instructions (budget: 2,500,000)");
    }
}
