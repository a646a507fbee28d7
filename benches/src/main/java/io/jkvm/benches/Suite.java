package io.jkvm.benches;

import io.jkvm.runtime.Backend;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs jkvm's JMH suite and writes JMH's JSON. Usage:
 * <pre>
 *   java -cp benches/target/benchmarks.jar io.jkvm.benches.Suite [--smoke | --full] [--result FILE] [REGEX...]
 * </pre>
 * <ul>
 *   <li>default (full suite): every benchmark with the iteration counts of its annotations, compute guests at
 *       size {@code bench}; result in {@code benches/target/jmh-result.json};</li>
 *   <li>{@code --smoke}: a check that every benchmark runs, not a measurement: one fork, one 0.4 s warm-up and
 *       one 0.4 s measurement per micro-benchmark, then each guest once at size {@code small} inside this JVM (no
 *       fork); result in {@code benches/target/jmh-smoke.json}. The build runs this in the
 *       {@code integration-test} phase of the benches module. Run this class with the options of
 *       {@code bin/jkvm} ({@code --enable-native-access=ALL-UNNAMED
 *       --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -Xss16m}).</li>
 * </ul>
 * Both fail (exit status 1) if any benchmark throws. The {@code hardware} value of the {@code backend} parameter is
 * kept only where {@link Backend#HARDWARE} is available (a usable {@code /dev/kvm}); elsewhere it is left out, with a
 * note on stderr and in the summary, because JMH cannot skip one value of a parameter by itself.
 * {@code REGEX} arguments restrict the run to matching benchmarks, as JMH's own command line does.
 */
public final class Suite {
    private Suite() {
    }

    public static void main(String[] args) throws Exception {
        boolean smoke = false;
        Path result = null;
        List<String> includes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--full" -> smoke = false;
                case "--result" -> result = Path.of(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: Suite [--smoke | --full] [--result FILE] [REGEX...]");
                    return;
                }
                default -> includes.add(args[i]);
            }
        }
        if (result == null) {
            result = Path.of("benches", "target", smoke ? "jmh-smoke.json" : "jmh-result.json");
        }
        if (includes.isEmpty()) {
            includes.add(Suite.class.getPackageName() + "\\..*");
        }
        String hardwareNote = null;
        String reason = Backend.HARDWARE.unavailableReason();
        if (reason != null) {
            hardwareNote = "hardware backend left out (backend=jit only): " + reason;
            System.err.println("note: " + hardwareNote);
        }
        if (smoke) {
            // JMH refuses to start while another JMH run holds /tmp/jmh.lock (one benchmark per machine). A smoke
            // run checks that the benchmarks work, not their speed: on a shared machine, or while a full run is
            // going, it must not fail the build because of someone else's measurement.
            System.setProperty("jmh.ignoreLock", "true");
        }
        Files.createDirectories(result.toAbsolutePath().getParent());
        long start = System.nanoTime();
        List<RunResult> results = new ArrayList<>();
        try {
            if (smoke) {
                // Two JMH runs because the settings differ: the micro-benchmarks get a short timed warm-up and
                // measurement in a forked JVM each; each guest runs once at the small size, all in this JVM.
                Path micro = Files.createTempFile("jmh-smoke-micro", ".json");
                Path guests = Files.createTempFile("jmh-smoke-guests", ".json");
                try {
                    ChainedOptionsBuilder m = base(includes, hardwareNote, micro)
                            .exclude(GuestBenchmark.class.getName())
                            .warmupIterations(1).warmupTime(TimeValue.milliseconds(400))
                            .measurementIterations(1).measurementTime(TimeValue.milliseconds(400));
                    results.addAll(runMatching(m));
                    ChainedOptionsBuilder g = base(includes, hardwareNote, guests)
                            .exclude(MICRO_BENCHMARKS)
                            .param("size", "small")
                            .warmupIterations(0).measurementIterations(1)
                            // In this JVM: a fresh JVM per guest would spend most of the smoke run warming up
                            // the translator again (seconds per guest); these figures are a check, not data.
                            .forks(0);
                    results.addAll(runMatching(g));
                    mergeJson(result, micro, guests);
                } finally {
                    Files.deleteIfExists(micro);
                    Files.deleteIfExists(guests);
                }
            } else {
                results.addAll(new Runner(base(includes, hardwareNote, result).build()).run());
            }
        } catch (RunnerException e) {
            System.err.println("benchmark suite failed: " + e.getMessage());
            System.exit(1);
        }
        if (results.isEmpty()) {
            System.err.println("no benchmark ran (includes: " + includes + ")");
            System.exit(1);
        }
        summary(results, hardwareNote, result, System.nanoTime() - start);
    }

    /** Every benchmark class except the guest runs (for the smoke run's exclusions). */
    private static final String MICRO_BENCHMARKS = Suite.class.getPackageName().replace(".", "\\.")
            + "\\.(Translation|Dispatch|Memory|Exit)Benchmark\\..*";

    /** Runs JMH; no result when the includes and excludes leave nothing (a smoke run restricted by REGEX). */
    private static Collection<RunResult> runMatching(ChainedOptionsBuilder options) throws RunnerException {
        try {
            return new Runner(options.build()).run();
        } catch (NoBenchmarksException e) {
            return List.of();
        }
    }

    private static ChainedOptionsBuilder base(List<String> includes, String hardwareNote, Path json) {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .forks(1) // forked JVMs get the options of each class's @Fork (native access, -Xss16m)
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
        for (String include : includes) {
            b.include(include);
        }
        if (hardwareNote != null) {
            b.param("backend", "jit");
        }
        return b;
    }

    /** JMH writes one JSON array per run: concatenate the smoke run's two arrays into one. */
    private static void mergeJson(Path into, Path... parts) throws IOException {
        StringBuilder sb = new StringBuilder("[\n");
        boolean first = true;
        for (Path p : parts) {
            String s = Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8).strip() : "";
            if (s.length() < 2) {
                continue;
            }
            String body = s.substring(1, s.length() - 1).strip();
            if (body.isEmpty()) {
                continue;
            }
            if (!first) {
                sb.append(",\n");
            }
            sb.append(body);
            first = false;
        }
        Files.writeString(into, sb.append("\n]\n"), StandardCharsets.UTF_8);
    }

    /** JMH's secondary results map uses the raw {@code Result} type. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static Map<String, ? extends Result<?>> castSecondary(RunResult r) {
        Map raw = r.getSecondaryResults();
        return (Map<String, ? extends Result<?>>) raw;
    }

    /** One line per benchmark and parameter set: primary score and the secondary (aux counter) rates. */
    private static void summary(Collection<RunResult> results, String hardwareNote, Path json, long nanos) {
        System.out.println();
        System.out.println("jkvm benchmark summary (" + results.size() + " results, "
                + String.format(Locale.ROOT, "%.0f s", nanos / 1e9) + "):");
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark().replace(Suite.class.getPackageName() + ".", "");
            StringBuilder params = new StringBuilder();
            for (String k : r.getParams().getParamsKeys()) {
                params.append(params.isEmpty() ? "" : ",").append(k).append('=').append(r.getParams().getParam(k));
            }
            Result<?> p = r.getPrimaryResult();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-45s %-40s %14.3f %s", name,
                    params, p.getScore(), p.getScoreUnit()));
            Map<String, ? extends Result<?>> secondary = castSecondary(r);
            Result<?> insns = secondary.get("instructions");
            Result<?> bytes = secondary.get("bytecodeBytes");
            Result<?> guestInsns = secondary.get("guestInstructions");
            if (insns != null) {
                line.append(String.format(Locale.ROOT, "  | %.3g guest insns/s", insns.getScore()));
                if (bytes != null && bytes.getScore() > 0) {
                    line.append(String.format(Locale.ROOT, ", %.1f bytecode bytes/insn",
                            bytes.getScore() / insns.getScore()));
                }
            }
            if (guestInsns != null && guestInsns.getScore() > 0) {
                // In average-time mode JMH reports an aux counter as time per count: seconds per instruction.
                double perSecond = guestInsns.getScoreUnit().startsWith("s/")
                        ? 1 / guestInsns.getScore() : guestInsns.getScore();
                line.append(String.format(Locale.ROOT, "  | %.3g guest insns/s", perSecond));
            }
            System.out.println(line);
        }
        if (hardwareNote != null) {
            System.out.println("  note: " + hardwareNote);
        }
        System.out.println("JMH JSON: " + json.toAbsolutePath());
    }
}
