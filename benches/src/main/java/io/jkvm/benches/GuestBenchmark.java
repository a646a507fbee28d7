package io.jkvm.benches;

import io.jkvm.guests.GuestCatalog;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.loader.Image;
import io.jkvm.runtime.loader.LoaderException;
import io.jkvm.runtime.vmm.GuestRunner;
import io.jkvm.runtime.vmm.Outcome;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Whole runs of the self-checking compute guests, as {@code bin/jkvm run GUEST SIZE} performs them, through the
 * VMM library ({@link GuestRunner}): allocate and load RAM, create the VM and vcpu, run to the debug-exit port.
 * Each operation is one complete run in a fresh VM, so on {@code jit} it includes translating the guest's code
 * (a new VM has an empty region cache) and HotSpot compiling the new region classes; the JVM itself (translator,
 * runtime) is warm after the warm-up run, unlike a {@code bin/jkvm} process. A run that does not print
 * {@code PASS <guest>} and exit with status 0 fails the benchmark.
 *
 * <p>Score: seconds per run. The mode is average time with 1 ms iterations, so each iteration is exactly one run
 * (JMH finishes the invocation in progress), as single-shot mode would do, but aux counters work (JMH does not
 * report them in single-shot mode). The aux counter {@code guestInstructions} counts guest instructions retired
 * (jit only: the hardware backend cannot count them); in average-time mode JMH reports it as seconds per guest
 * instruction, and {@link Suite}'s summary prints its reciprocal, instructions per second. {@code size} is the guest's
 * own size argument: {@code bench} (about a second natively) for the full suite, {@code small} for the smoke run.
 * The {@code hardware} backend needs {@code /dev/kvm}; {@link Suite} leaves it out where it is unavailable.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xss16m"})
@State(Scope.Thread)
public class GuestBenchmark {

    @Param({"sha256", "crc32", "sort", "sieve", "matmul", "lz77", "mandelbrot", "modexp", "interp", "tokenize",
            "nbody", "spectral"})
    public String guest;

    @Param({"jit", "hardware"})
    public String backend;

    @Param({"bench"})
    public String size;

    /** Guest instructions retired, reported as a rate (jit backend only). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long guestInstructions;

        @Setup(Level.Iteration)
        public void reset() {
            guestInstructions = 0;
        }
    }

    private Image image;
    private GuestRunner runner;
    private ByteArrayOutputStream serial;

    @Setup(Level.Trial)
    public void setUp() {
        Backend b = Backend.fromName(backend);
        String reason = b.unavailableReason();
        if (reason != null) {
            throw new IllegalStateException("backend " + backend + " is not available here: " + reason
                    + " (run the suite through io.jkvm.benches.Suite, which leaves it out, or pass -p backend=jit)");
        }
        GuestCatalog.Guest g = GuestCatalog.find(guest).orElseThrow(
                () -> new IllegalArgumentException("no guest called '" + guest + "'"));
        image = Image.of(g.fileName(), g.bytes());
        serial = new ByteArrayOutputStream();
        runner = GuestRunner.builder().backend(b).serialOutput(serial).build();
    }

    @Setup(Level.Invocation)
    public void clearSerial() {
        serial.reset();
    }

    @Benchmark
    public Object run(Counters c) throws LoaderException {
        GuestRunner.RunResult r = runner.run(image, guest + " " + size, true);
        String out = serial.toString(StandardCharsets.UTF_8);
        if (!(r.outcome() instanceof Outcome.GuestExit(int status)) || status != 0
                || !out.contains("PASS " + guest + " ")) {
            throw new IllegalStateException(guest + " " + size + " on " + backend + " did not pass: "
                    + r.outcome().describe() + "; serial output:\n" + out);
        }
        c.guestInstructions += r.statistics().guestInstructions().orElse(0);
        return r;
    }
}
