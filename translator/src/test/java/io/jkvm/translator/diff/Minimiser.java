package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.Prefix;
import io.jkvm.translator.decoder.RegClass;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Finds the first divergent instruction of a failing case by re-running its prefixes: prefix k is instructions
 * 0..k followed by {@code ud2} (a branch past the end lands in the HLT fill, #GP, on both sides alike). The first
 * prefix whose outcomes differ names the instruction; the state before it is the host's outcome of prefix k-1.
 * The finding is then checked against {@link UndefinedBehaviour}, and re-run on the JIT one instruction at a time
 * (single-step) to tell instruction semantics from region-level translation.
 */
final class Minimiser {
    /** The result of minimising one failing case. */
    record Finding(DiffCase c, int index, Instruction insn, MachineState pre, Outcome host, Outcome jit,
                   List<Differ.Item> items, String rule, Boolean singleStepDiverges, String classKey,
                   Outcome wholeHost, Outcome wholeJit) {

        boolean explained() {
            return rule != null;
        }

        String report(Path work) {
            StringBuilder b = new StringBuilder();
            b.append(c.name()).append(": first divergent instruction #").append(index).append(": ")
                    .append(c.lines.get(index).replaceAll("LABEL_\\w+: ", "")).append('\n');
            b.append("class: ").append(classKey).append('\n');
            if (rule != null) {
                b.append("explained by the UndefinedBehaviour list: ").append(rule).append('\n');
            }
            if (singleStepDiverges != null) {
                b.append(singleStepDiverges ? "diverges also when the JIT single-steps\n"
                        : "agrees when the JIT single-steps: a region-translation problem\n");
            }
            b.append("differences:\n");
            for (Differ.Item i : items) {
                b.append("  ").append(i).append('\n');
            }
            b.append("case (as):\n").append(c.listing());
            b.append("disassembly (objdump):\n").append(objdump(work, c.code));
            b.append("state before the instruction:\n").append(indent(pre.describe(c.initial.scratch)));
            b.append("host after: ").append(host.describeEnd(host.state.rip)).append('\n')
                    .append(indent(host.state.describe(pre.scratch)));
            b.append("jit after: ").append(jit.describeEnd(jit.state.rip)).append('\n')
                    .append(indent(jit.state.describe(pre.scratch)));
            if (wholeHost != null && wholeJit != null) {
                b.append("whole case, host: ").append(wholeHost.describeEnd(c.endAddress())).append('\n')
                        .append(indent(wholeHost.state.describe(c.initial.scratch)));
                b.append("whole case, jit: ").append(wholeJit.describeEnd(c.endAddress())).append('\n')
                        .append(indent(wholeJit.state.describe(c.initial.scratch)));
            }
            return b.toString();
        }
    }

    private final HostExecutor host;
    private final JitExecutor jit;

    Minimiser(HostExecutor host, JitExecutor jit) {
        this.host = host;
        this.jit = jit;
    }

    /** Minimises every case in {@code failing} (running all their prefixes on the host in one batch). */
    List<Finding> minimise(List<DiffCase> failing) throws IOException, InterruptedException {
        return minimise(failing, null, null);
    }

    /** As {@link #minimise(List)}, with the whole cases' outcomes for the reports. */
    List<Finding> minimise(List<DiffCase> failing, List<Outcome> wholeHost, List<Outcome> wholeJit)
            throws IOException, InterruptedException {
        List<DiffCase> prefixes = new ArrayList<>();
        for (DiffCase c : failing) {
            for (int k = 0; k < c.lines.size() - 1; k++) {
                prefixes.add(prefix(c, k));
            }
        }
        List<Outcome> hostOut = host.run(prefixes, false);
        List<Finding> findings = new ArrayList<>();
        int at = 0;
        for (DiffCase c : failing) {
            int n = c.lines.size() - 1;
            int k = findings.size();
            findings.add(minimise(c, prefixes.subList(at, at + n), hostOut.subList(at, at + n),
                    wholeHost == null ? null : wholeHost.get(k), wholeJit == null ? null : wholeJit.get(k)));
            at += n;
        }
        return findings;
    }

    private Finding minimise(DiffCase c, List<DiffCase> prefixes, List<Outcome> hostOut, Outcome wholeHost,
                             Outcome wholeJit) {
        CaseAnalysis full = new CaseAnalysis(c);
        for (int k = 0; k < prefixes.size(); k++) {
            DiffCase p = prefixes.get(k);
            Outcome h = hostOut.get(k);
            Outcome j = jit.run(p, false);
            int undefined = full.undefinedAt(p, h.state.rip);
            List<Differ.Item> items = Differ.compare(h, j, new Differ.Mask(undefined, 0));
            if (items.isEmpty()) {
                continue;
            }
            MachineState pre = k == 0 ? c.initial : hostOut.get(k - 1).state;
            Instruction insn = full.insns[k];
            String rule = null;
            if (insn != null) {
                UndefinedBehaviour.Rule r = UndefinedBehaviour.applicable(insn, pre);
                boolean memoryDestination = insn.operand(0) instanceof Operand.Mem;
                if (r != null && (r.wholeOutcome() || Differ.compare(h, j, r.mask().or(new Differ.Mask(undefined, 0)))
                        .stream().allMatch(i -> i.kind().equals("mem") && memoryDestination))) {
                    rule = r.name();
                }
            }
            Outcome single = jit.run(p, true);
            boolean singleDiverges = !Differ.compare(h, single, new Differ.Mask(undefined, 0)).isEmpty();
            return new Finding(c, k, insn, pre, h, j, items, rule, singleDiverges, classKey(insn, items, rule),
                    wholeHost, wholeJit);
        }
        // No prefix diverges although the whole case did: report the whole case.
        return null;
    }

    /** Instructions 0..k of {@code c}, then ud2. */
    static DiffCase prefix(DiffCase c, int k) {
        List<String> lines = new ArrayList<>(c.lines.subList(0, k + 1));
        lines.add("ud2");
        DiffCase p = new DiffCase(c.seed, c.index, lines, c.initial, c.usesSse);
        int end = c.offsets[k + 1];
        p.code = java.util.Arrays.copyOf(c.code, end + 2);
        p.code[end] = 0x0f;
        p.code[end + 1] = 0x0b;
        p.offsets = new int[k + 3];
        System.arraycopy(c.offsets, 0, p.offsets, 0, k + 2);
        p.offsets[k + 2] = end + 2;
        return p;
    }

    /** "MNEMONIC operand-shapes [prefixes] | differing kinds", e.g. "RCL m16, cl | flag OF". */
    static String classKey(Instruction insn, List<Differ.Item> items, String rule) {
        TreeSet<String> kinds = new TreeSet<>();
        for (Differ.Item i : items) {
            kinds.add(i.kind().equals("end") ? endKey(i) : i.kind());
        }
        String what = rule != null ? "undefined: " + rule : String.join(", ", kinds);
        return shape(insn) + " | " + what;
    }

    /** How two outcomes ended differently, without addresses: "end #AC vs #UD", "end #PF error 0x6 vs 0x4". */
    static String endKey(Differ.Item i) {
        if (i.what().equals("#PF")) {
            return "end #PF error " + i.host().replaceAll(".* error ", "") + " vs "
                    + i.jit().replaceAll(".* error ", "");
        }
        if (i.what().equals("error code")) {
            return "end error code " + i.host() + " vs " + i.jit();
        }
        return "end " + i.host().replaceAll(" \\(.*", "") + " vs " + i.jit().replaceAll(" \\(.*", "");
    }

    static String shape(Instruction insn) {
        if (insn == null) {
            return "(undecodable)";
        }
        StringBuilder b = new StringBuilder();
        if (insn.has(Prefix.LOCK)) {
            b.append("lock ");
        }
        if (insn.has(Prefix.REP)) {
            b.append("rep ");
        }
        if (insn.has(Prefix.REPNE)) {
            b.append("repne ");
        }
        b.append(insn.mnemonic());
        if (insn.condition() >= 0) {
            b.append('.').append(SequenceGenerator.CC[insn.condition()]);
        }
        String sep = " ";
        for (Operand o : insn.operands()) {
            b.append(sep);
            sep = ", ";
            switch (o) {
                case Operand.Reg r when r.regClass() == RegClass.GPR && r.number() == 1 && r.size() == 1
                        && insn.operands().indexOf(o) > 0 -> b.append("cl");
                case Operand.Reg r when r.regClass() == RegClass.GPR -> b.append('r').append(r.size() * 8);
                case Operand.Reg r when r.regClass() == RegClass.GPR8_HIGH -> b.append("r8h");
                case Operand.Reg r -> b.append(r.regClass().name().toLowerCase());
                case Operand.Mem m -> b.append('m').append(m.size() * 8).append(m.addressSize() == 4 ? "(a32)" : "");
                case Operand.Imm i -> b.append("imm");
                case Operand.Rel r -> b.append("rel");
                case Operand.Far f -> b.append("far");
            }
        }
        if (insn.operands().isEmpty() && insn.operandSize() > 0) {
            b.append(" (").append(insn.operandSize() * 8).append("-bit)");
        }
        return b.toString();
    }

    static String objdump(Path work, byte[] code) {
        try {
            Path f = Files.createTempFile(work, "case", ".bin");
            try {
                Files.write(f, code);
                Process p = new ProcessBuilder("objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel",
                        "--adjust-vma=0x" + Long.toHexString(DiffLayout.CODE), f.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor(30, TimeUnit.SECONDS);
                StringBuilder b = new StringBuilder();
                for (String line : out.split("\n")) {
                    if (line.matches("\\s*[0-9a-f]+:\\s.*")) {
                        b.append("  ").append(line.strip()).append('\n');
                    }
                }
                return b.toString();
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            return "  (objdump unavailable: " + e.getMessage() + ")\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "  (interrupted)\n";
        }
    }

    private static String indent(String s) {
        return s.indent(4);
    }
}
