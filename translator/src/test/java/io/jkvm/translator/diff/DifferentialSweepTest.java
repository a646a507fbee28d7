package io.jkvm.translator.diff;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JIT against the host CPU on random instruction sequences at CPL 3 (see {@link SequenceGenerator},
 * {@link HostExecutor}, {@link JitExecutor}). The default run is a bounded sweep; longer ones are chosen with
 * system properties (all optional):
 *
 * <pre>
 *   -Djkvm.diff.sequences=N     cases to run (default 5000)
 *   -Djkvm.diff.seed=S          sweep seed (default 0x6a6b766d); case i of seed S is always the same case
 *   -Djkvm.diff.first=I         first case index (to split a long sweep)
 *   -Djkvm.diff.threads=T       JIT threads (default: available processors)
 *   -Djkvm.diff.minimise=K      divergent cases minimised per signature (default 5; 100 above 10000 cases)
 *   -Djkvm.diff.sse=true|false  SSE/SSE2 templates (default: when the JIT translates SSE)
 *   -Djkvm.diff.case=I[,J...]   run and report only these cases (with -Djkvm.diff.seed)
 * </pre>
 *
 * The full report (every divergence class with one minimised example: the case, its objdump disassembly, the
 * state before the first divergent instruction and both states after it, and both final states of the whole case)
 * goes to {@code target/diff/sweep-<seed>-<first>-<count>.txt}.
 *
 * <p>A million sequences:
 * <pre>
 *   ./mvnw -B -pl translator -am test -Dtest=DifferentialSweepTest -Dsurefire.failIfNoSpecifiedTests=false \
 *       -Djkvm.diff.sequences=1000000
 * </pre>
 * Measured on the 2-core development machine (two JIT threads, the host executor alongside): about 95 s per
 * 100,000 sequences with the JIT of 2026-11-23 17:40 on an otherwise idle machine (0.9 ms per sequence, nearly all
 * of it translation), so about 16 minutes per million; a million took 25 minutes with the slower JIT of 17:05 on a
 * shared, loaded machine.
 */
class DifferentialSweepTest {
    private static HostExecutor host;
    private static GasAssembler as;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(GasAssembler.unavailableReason().isEmpty(),
                () -> "skipped: " + GasAssembler.unavailableReason().orElse(""));
        host = HostExecutor.create().orElse(null);
        Assumptions.assumeTrue(host != null, () -> "skipped: " + HostExecutor.unavailableReason());
        as = new GasAssembler(HostExecutor.workDirectory());
    }

    @Test
    void theJitAgreesWithTheHostCpuOnRandomSequences() throws Exception {
        Assumptions.assumeTrue(System.getProperty("jkvm.diff.case") == null, "single-case mode");
        long seed = Long.decode(System.getProperty("jkvm.diff.seed", "0x6a6b766d"));
        long first = Long.getLong("jkvm.diff.first", 0);
        long count = Long.getLong("jkvm.diff.sequences", 5000);
        int threads = Integer.getInteger("jkvm.diff.threads", Runtime.getRuntime().availableProcessors());
        int minimise = Integer.getInteger("jkvm.diff.minimise", count > 10_000 ? 100 : 5);
        SequenceGenerator generator = new SequenceGenerator(SequenceGenerator.Options.defaults());
        DiffSweep.Report r;
        try (DiffSweep sweep = new DiffSweep(host, as, generator, threads, minimise)) {
            r = sweep.run(seed, first, count, 1000, p -> {
                if (count > 10_000 && p.cases % 10_000 == 0) {
                    System.out.printf("jkvm.diff: %d/%d cases, %d divergent, %.0f s%n", p.cases, count, p.divergent,
                            p.nanos / 1e9);
                }
            });
        }
        Path report = HostExecutor.workDirectory().resolve(
                "sweep-0x" + Long.toHexString(seed) + "-" + first + "-" + count + ".txt");
        Files.writeString(report, r.summary() + "\n" + r.examples(HostExecutor.workDirectory(), 1000));
        System.out.println(r.summary());
        assertEquals(0, r.decoderProblems, "jkvm's decoder disagrees with GNU as on instruction lengths:\n"
                + r.summary());
        assertEquals(0, r.taintedCases, "generated cases read undefined flags:\n" + r.summary());
        assertTrue(r.hostEnds.getOrDefault("completed", 0L) > r.cases * 3 / 4,
                "most cases must run to their end on the host, or the sweep tests little: " + r.hostEnds);
        assertEquals(0, r.unexplained(), () -> "the JIT diverges from the host CPU (full report: " + report
                + ")\n" + r.summary() + "\n" + r.examples(HostExecutor.workDirectory(), 3));
    }

    @Test
    void aDifferenceInStateIsFoundAndMinimisedToItsInstruction() throws Exception {
        MachineState s = HostOracleTest.state();
        DiffCase c = new DiffCase(0, 0, List.of("mov rcx, rdx", "add rax, rbx", "mov qword ptr [rsp - 16], rax",
                "adc rcx, 1", "ud2"), s, false);
        // The JIT starts this copy with RBX off by one, as a JIT that loaded RBX wrongly would.
        MachineState wrong = s.copy();
        wrong.gpr[3] ^= 1;
        DiffCase w = new DiffCase(0, 0, c.lines, wrong, false);
        as.assemble(List.of(c, w));
        Outcome h = host.run(List.of(c), false).get(0);
        try (JitExecutor jit = new JitExecutor()) {
            Outcome same = jit.run(c, false);
            assertEquals(List.of(), Differ.compare(h, same, Differ.Mask.NONE), "same state, same outcome");
            List<String> what = Differ.compare(h, jit.run(w, false), Differ.Mask.NONE).stream()
                    .map(Differ.Item::what).toList();
            assertTrue(what.contains("rax") && what.contains("rbx"), what.toString());
            assertTrue(what.stream().anyMatch(x -> x.startsWith("byte [20001bf0]")), what.toString());
        }
    }

    @Test
    void prefixesLocateTheFirstInstructionWhoseResultDiffers() throws Exception {
        // Two cases that differ only in instruction 2: their prefixes 0 and 1 agree on the host, prefix 2 does not,
        // which is how the minimiser pins a divergence on its instruction.
        MachineState s = HostOracleTest.state();
        DiffCase c = new DiffCase(0, 0, List.of("inc rax", "inc rbx", "inc rcx", "inc rdx", "ud2"), s, false);
        DiffCase d = new DiffCase(0, 0, List.of("inc rax", "inc rbx", "dec rcx", "inc rdx", "ud2"), s, false);
        as.assemble(List.of(c, d));
        List<DiffCase> prefixes = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            prefixes.add(Minimiser.prefix(c, k));
            prefixes.add(Minimiser.prefix(d, k));
        }
        List<Outcome> out = host.run(prefixes, false);
        int first = -1;
        for (int k = 0; k < 4 && first < 0; k++) {
            if (!Differ.compare(out.get(2 * k), out.get(2 * k + 1), Differ.Mask.NONE).isEmpty()) {
                first = k;
            }
        }
        assertEquals(2, first, "prefixes 0 and 1 agree, prefix 2 differs");
        assertFalse(Differ.compare(out.get(4), out.get(5), Differ.Mask.NONE).isEmpty());
    }

    @Test
    void reportOneCase() throws Exception {
        String cases = System.getProperty("jkvm.diff.case");
        Assumptions.assumeTrue(cases != null, "set -Djkvm.diff.case=<index>[,<index>...] to report cases");
        for (String which : cases.split(",")) {
            reportCase(which.trim());
        }
    }

    private void reportCase(String which) throws Exception {
        long seed = Long.decode(System.getProperty("jkvm.diff.seed", "0x6a6b766d"));
        DiffCase c = new SequenceGenerator(SequenceGenerator.Options.defaults()).generate(seed, Long.decode(which));
        as.assemble(List.of(c));
        try (JitExecutor jit = new JitExecutor()) {
            Outcome h = host.run(List.of(c), false).get(0);
            Outcome j = jit.run(c, false);
            CaseAnalysis a = new CaseAnalysis(c);
            List<Differ.Item> items = Differ.compare(h, j, new Differ.Mask(a.undefinedAt(c, h.state.rip), 0));
            StringBuilder b = new StringBuilder(c.name()).append('\n').append(c.listing())
                    .append("host: ").append(h.describeEnd(c.endAddress())).append('\n')
                    .append(h.state.describe(c.initial.scratch))
                    .append("jit: ").append(j.describeEnd(c.endAddress())).append('\n')
                    .append(j.state.describe(c.initial.scratch)).append("differences: ").append(items).append('\n');
            Minimiser.Finding f = null;
            if (!items.isEmpty()) {
                f = new Minimiser(host, jit).minimise(List.of(c)).get(0);
                b.append(f == null ? "no prefix diverges\n" : f.report(HostExecutor.workDirectory()));
            }
            System.out.println(b);
            Files.writeString(HostExecutor.workDirectory().resolve("case-0x" + Long.toHexString(seed) + "-" + which
                    + ".txt"), b);
            assertTrue(items.isEmpty() || f != null && f.explained(), b::toString);
        }
    }
}
