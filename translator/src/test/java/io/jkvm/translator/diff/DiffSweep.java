package io.jkvm.translator.diff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;

/**
 * A differential sweep: generates cases in batches, assembles them with GNU as, runs them on the host CPU (one
 * {@code host_exec} process per batch, concurrently with the JIT) and on the JIT (in parallel, one machine per
 * thread), compares the outcomes with the undefined flags masked, and minimises divergent cases to their first
 * divergent instruction, grouping the findings into classes (instruction shape and what differs).
 *
 * <p>Minimising costs a few dozen JIT runs per case, so only the first {@code minimisePerSignature} divergent
 * cases of each <em>signature</em> (how the whole case differed: the kinds of differing items) are minimised; the
 * rest are counted under their signature.
 */
final class DiffSweep implements AutoCloseable {
    /** Everything a sweep found. */
    static final class Report {
        long cases;
        long divergent;
        long explained;
        long notMinimised;
        long decoderProblems;
        long taintedCases;
        final Map<String, Long> hostEnds = new TreeMap<>();
        /** Class key -> count; the first finding of each class is kept in {@link #examples}. */
        final Map<String, Long> classes = new TreeMap<>();
        final Map<String, Minimiser.Finding> examples = new LinkedHashMap<>();
        /** Whole-case signature -> divergent cases (minimised or not). */
        final Map<String, Long> signatures = new TreeMap<>();
        final List<String> problems = new ArrayList<>();
        long nanos;
        /** Time spent in each phase: assembling, waiting for the host, the JIT, minimising. */
        long asNanos, hostNanos, jitNanos, minimiseNanos;

        /** Divergent cases not explained by {@link UndefinedBehaviour} (minimised or not). */
        long unexplained() {
            return divergent - explained;
        }

        String summary() {
            StringBuilder b = new StringBuilder();
            b.append(String.format("%d cases in %.1f s: %d divergent (%d explained by the UndefinedBehaviour list, "
                            + "%d not minimised), %d decoder disagreements, %d cases reading undefined flags%n",
                    cases, nanos / 1e9, divergent, explained, notMinimised, decoderProblems, taintedCases));
            b.append(String.format("time: as %.1f s, host (waited) %.1f s, jit %.1f s, minimising %.1f s%n",
                    asNanos / 1e9, hostNanos / 1e9, jitNanos / 1e9, minimiseNanos / 1e9));
            b.append("host outcomes: ").append(hostEnds).append('\n');
            if (!classes.isEmpty()) {
                b.append("divergence classes (first divergent instruction | what differs):\n");
                classes.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                        .forEach(e -> b.append(String.format("  %7d  %s%n", e.getValue(), e.getKey())));
            }
            if (notMinimised > 0) {
                b.append("whole-case signatures of all divergent cases:\n");
                signatures.forEach((k, v) -> b.append(String.format("  %7d  %s%n", v, k)));
            }
            for (String p : problems.subList(0, Math.min(problems.size(), 20))) {
                b.append("problem: ").append(p).append('\n');
            }
            return b.toString();
        }

        /** Full reports of the first example of up to {@code max} classes, unexplained ones first. */
        String examples(Path work, int max) {
            StringBuilder b = new StringBuilder();
            List<Map.Entry<String, Minimiser.Finding>> sorted = new ArrayList<>(examples.entrySet());
            sorted.sort((x, y) -> Boolean.compare(x.getValue().explained(), y.getValue().explained()));
            int n = 0;
            for (Map.Entry<String, Minimiser.Finding> e : sorted) {
                if (n++ >= max) {
                    break;
                }
                b.append("==== ").append(e.getKey()).append(" (").append(classes.get(e.getKey()))
                        .append(" cases)\n").append(e.getValue().report(work)).append('\n');
            }
            return b.toString();
        }
    }

    private final HostExecutor host;
    private final GasAssembler as;
    private final SequenceGenerator generator;
    private final int threads;
    private final int minimisePerSignature;
    private final ConcurrentLinkedQueue<JitExecutor> machines = new ConcurrentLinkedQueue<>();
    private final List<JitExecutor> all = new ArrayList<>();
    private final Minimiser minimiser;
    private final Map<String, Integer> minimisedBySignature = new HashMap<>();

    DiffSweep(HostExecutor host, GasAssembler as, SequenceGenerator generator, int threads, int minimisePerSignature) {
        this.host = host;
        this.as = as;
        this.generator = generator;
        this.threads = Math.max(1, threads);
        this.minimisePerSignature = minimisePerSignature;
        for (int i = 0; i < this.threads; i++) {
            JitExecutor j = new JitExecutor();
            machines.add(j);
            all.add(j);
        }
        this.minimiser = new Minimiser(host, all.get(0));
    }

    Report run(long seed, long first, long count, int batch) throws IOException, InterruptedException {
        return run(seed, first, count, batch, r -> {
        });
    }

    /** As {@link #run(long, long, long, int)}, calling {@code progress} after every batch. */
    Report run(long seed, long first, long count, int batch, java.util.function.Consumer<Report> progress)
            throws IOException, InterruptedException {
        Report r = new Report();
        long start = System.nanoTime();
        for (long at = first; at < first + count; at += batch) {
            int n = (int) Math.min(batch, first + count - at);
            List<DiffCase> cases = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                cases.add(generator.generate(seed, at + i));
            }
            runBatch(cases, r);
            r.nanos = System.nanoTime() - start;
            progress.accept(r);
        }
        return r;
    }

    void runBatch(List<DiffCase> cases, Report r) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        as.assemble(cases);
        long t1 = System.nanoTime();
        r.asNanos += t1 - t0;
        CompletableFuture<List<Outcome>> hostRun = CompletableFuture.supplyAsync(() -> {
            try {
                return host.run(cases, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        Outcome[] jitOut = new Outcome[cases.size()];
        try (var pool = new java.util.concurrent.ForkJoinPool(threads)) {
            pool.submit(() -> IntStream.range(0, cases.size()).parallel().forEach(i -> {
                JitExecutor m = machines.poll();
                try {
                    jitOut[i] = m.run(cases.get(i), false);
                } finally {
                    machines.add(m);
                }
            })).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("JIT side failed", e.getCause());
        }
        long t2 = System.nanoTime();
        r.jitNanos += t2 - t1;
        List<Outcome> hostOut;
        try {
            hostOut = hostRun.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IllegalStateException(e.getCause());
        }
        r.hostNanos += System.nanoTime() - t2;

        List<DiffCase> toMinimise = new ArrayList<>();
        List<String> toMinimiseSignature = new ArrayList<>();
        List<Outcome> wholeHost = new ArrayList<>();
        List<Outcome> wholeJit = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            DiffCase c = cases.get(i);
            Outcome h = hostOut.get(i);
            r.cases++;
            r.hostEnds.merge(h.completed(c.endAddress()) ? "completed" : Outcome.vectorName(h.vector), 1L, Long::sum);
            CaseAnalysis a = new CaseAnalysis(c);
            if (!a.decoderProblems.isEmpty()) {
                r.decoderProblems++;
                r.problems.add(c.name() + ": " + a.decoderProblems.get(0));
            }
            if (!a.taintedReads.isEmpty()) {
                r.taintedCases++;
                r.problems.add(c.name() + ": instruction " + a.taintedReads.get(0) + " reads an undefined flag");
            }
            int undefined = a.undefinedAt(c, h.state.rip);
            List<Differ.Item> items = Differ.compare(h, jitOut[i], new Differ.Mask(undefined, 0));
            if (items.isEmpty()) {
                continue;
            }
            r.divergent++;
            String signature = signature(items);
            r.signatures.merge(signature, 1L, Long::sum);
            int done = minimisedBySignature.merge(signature, 1, Integer::sum);
            if (done <= minimisePerSignature) {
                toMinimise.add(c);
                toMinimiseSignature.add(signature);
                wholeHost.add(h);
                wholeJit.add(jitOut[i]);
            } else {
                r.notMinimised++;
            }
        }
        if (toMinimise.isEmpty()) {
            return;
        }
        long t4 = System.nanoTime();
        List<Minimiser.Finding> findings = minimiser.minimise(toMinimise, wholeHost, wholeJit);
        r.minimiseNanos += System.nanoTime() - t4;
        for (int i = 0; i < findings.size(); i++) {
            Minimiser.Finding f = findings.get(i);
            if (f == null) {
                r.classes.merge("(no prefix diverges) " + toMinimiseSignature.get(i), 1L, Long::sum);
                r.problems.add(toMinimise.get(i).name() + ": diverges as a whole but no prefix does");
                continue;
            }
            if (f.explained()) {
                r.explained++;
            }
            r.classes.merge(f.classKey(), 1L, Long::sum);
            r.examples.putIfAbsent(f.classKey(), f);
        }
    }

    /**
     * How a whole case differed, coarsely: how it ended if that differs, else the kinds of state that differ (any
     * flag counting as "flags"), so that one root cause maps to few signatures.
     */
    static String signature(List<Differ.Item> items) {
        for (Differ.Item i : items) {
            if (i.kind().equals("end")) {
                return Minimiser.endKey(i);
            }
        }
        TreeSet<String> kinds = new TreeSet<>();
        for (Differ.Item i : items) {
            kinds.add(i.kind().startsWith("flag") ? "flags" : i.kind());
        }
        return String.join(", ", kinds);
    }

    @Override
    public void close() {
        all.forEach(JitExecutor::close);
    }
}
