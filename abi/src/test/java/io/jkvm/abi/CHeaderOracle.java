package io.jkvm.abi;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Asks the C compiler what {@code <linux/kvm.h>} says: turns Java layouts and constants into C expressions
 * ({@code offsetof(struct kvm_run, io.port)}, {@code sizeof(...)}, {@code KVM_RUN}), compiles one program that
 * prints them all with gcc against the system headers, runs it and compares.
 */
final class CHeaderOracle {
    /** A C expression and the value the Java side expects it to have. */
    record Check(String expression, long expected) {
    }

    /** A check the header disagrees with. */
    record Mismatch(String expression, long expected, Long actual) {
        @Override
        public String toString() {
            return expression + ": Java says " + expected + ", <linux/kvm.h> says " + actual;
        }
    }

    /** The compiler; {@code -Djkvm.cc=clang} (or a path) picks another. */
    private static final String CC = System.getProperty("jkvm.cc", "gcc");

    private final Path workDir;

    CHeaderOracle(Path workDir) {
        this.workDir = workDir;
    }

    /** Why the oracle cannot run here (no gcc, or no kvm.h), or empty if it can. */
    Optional<String> unavailableReason() throws IOException, InterruptedException {
        Path probe = workDir.resolve("probe.c");
        Files.writeString(probe, "#include <linux/kvm.h>\nint main(void) { return KVM_API_VERSION == 12 ? 0 : 1; }\n");
        try {
            Result r = run(List.of(CC, "-o", workDir.resolve("probe").toString(), probe.toString()));
            if (r.exit != 0) {
                return Optional.of(CC + " cannot compile against <linux/kvm.h> (install linux-libc-dev):\n" + r.output);
            }
        } catch (IOException e) {
            return Optional.of(CC + " is not installed (" + e.getMessage() + "); install gcc or pass -Djkvm.cc=...");
        }
        return Optional.empty();
    }

    /** The offset, size and alignment checks of every named member of {@code layout}, recursively. */
    static List<Check> layoutChecks(StructLayout layout) {
        String type = "struct " + layout.name().orElseThrow(() -> new IllegalArgumentException(
                "a checked LAYOUT needs the C struct tag as its name"));
        List<Check> checks = new ArrayList<>();
        checks.add(new Check("sizeof(" + type + ")", layout.byteSize()));
        checks.add(new Check("__alignof__(" + type + ")", layout.byteAlignment()));
        members(type, layout, "", 0, checks);
        return checks;
    }

    private static void members(String type, GroupLayout group, String prefix, long base, List<Check> checks) {
        long offset = base;
        for (MemoryLayout m : group.memberLayouts()) {
            long at = group instanceof StructLayout ? offset : base;
            offset += m.byteSize();
            if (m instanceof PaddingLayout) {
                continue; // padding C inserts without a name: covered by the sizes and offsets around it
            }
            if (m.name().isEmpty()) {
                if (!(m instanceof GroupLayout anonymous)) {
                    throw new IllegalArgumentException("unnamed non-group member " + m + " in " + type);
                }
                // C's anonymous struct or union: its members are named directly, without a prefix.
                members(type, anonymous, prefix, at, checks);
                continue;
            }
            String path = prefix + m.name().get();
            checks.add(new Check("offsetof(" + type + ", " + path + ")", at));
            if (m instanceof SequenceLayout seq && seq.elementCount() == 0) {
                // A flexible array member: sizeof is not allowed on it, so check its element instead.
                element(type, path, seq, at, checks);
                continue;
            }
            checks.add(new Check("sizeof(((" + type + " *)0)->" + path + ")", m.byteSize()));
            checks.add(new Check("__alignof__(((" + type + " *)0)->" + path + ")", m.byteAlignment()));
            if (m instanceof GroupLayout nested) {
                members(type, nested, path + ".", at, checks);
            } else if (m instanceof SequenceLayout seq) {
                element(type, path, seq, at, checks);
            }
        }
    }

    private static void element(String type, String path, SequenceLayout seq, long at, List<Check> checks) {
        String first = path + "[0]";
        MemoryLayout e = seq.elementLayout();
        checks.add(new Check("sizeof(((" + type + " *)0)->" + first + ")", e.byteSize()));
        if (e instanceof GroupLayout nested) {
            members(type, nested, first + ".", at, checks);
        } else if (e instanceof SequenceLayout inner) {
            element(type, first, inner, at, checks);
        }
    }

    /** Checks that each macro has the given value. */
    static List<Check> constantChecks(Map<String, Long> constants) {
        List<Check> checks = new ArrayList<>();
        constants.forEach((name, value) -> checks.add(new Check(name, value)));
        return checks;
    }

    /** Compiles and runs one program that evaluates every check; returns those whose value differs. */
    List<Mismatch> compare(List<Check> checks) throws IOException, InterruptedException {
        Map<String, Long> actual = evaluate(checks.stream().map(Check::expression).toList());
        List<Mismatch> mismatches = new ArrayList<>();
        for (Check c : checks) {
            Long value = actual.get(c.expression());
            if (value == null || value != c.expected()) {
                mismatches.add(new Mismatch(c.expression(), c.expected(), value));
            }
        }
        return mismatches;
    }

    /** Every macro the headers define whose name starts with {@code prefix}. */
    TreeSet<String> macrosStartingWith(String prefix) throws IOException, InterruptedException {
        Path source = workDir.resolve("macros.c");
        Files.writeString(source, "#include <linux/kvm.h>\n");
        Result r = run(List.of(CC, "-dM", "-E", source.toString()));
        if (r.exit != 0) {
            throw new IllegalStateException(CC + " -dM -E failed:\n" + r.output);
        }
        TreeSet<String> names = new TreeSet<>();
        for (String line : r.output.split("\n")) {
            String[] words = line.split("\\s+");
            if (words.length >= 2 && words[0].equals("#define") && words[1].startsWith(prefix)
                    && !words[1].contains("(")) {
                names.add(words[1]);
            }
        }
        return names;
    }

    private Map<String, Long> evaluate(List<String> expressions) throws IOException, InterruptedException {
        StringBuilder c = new StringBuilder("""
                #include <stddef.h>
                #include <stdio.h>
                #include <linux/kvm.h>

                int main(void) {
                """);
        for (int i = 0; i < expressions.size(); i++) {
            c.append("    printf(\"%d %llu\\n\", ").append(i).append(", (unsigned long long)(")
                    .append(expressions.get(i)).append("));\n");
        }
        c.append("    return 0;\n}\n");
        Path source = workDir.resolve("kvm_abi_check.c");
        Path binary = workDir.resolve("kvm_abi_check");
        Files.writeString(source, c);
        Result compiled = run(List.of(CC, "-std=gnu11", "-Wall", "-Wno-format", "-o", binary.toString(),
                source.toString()));
        if (compiled.exit != 0) {
            throw new AssertionError("the generated C check does not compile against <linux/kvm.h>, so a Java name "
                    + "(struct tag, member path or macro) is not in the header; gcc says:\n" + compiled.output
                    + "\nsource: " + source);
        }
        Result ran = run(List.of(binary.toString()));
        if (ran.exit != 0) {
            throw new AssertionError("the generated C check exited with " + ran.exit + ":\n" + ran.output);
        }
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : ran.output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.trim().split(" ");
            values.put(expressions.get(Integer.parseInt(parts[0])), Long.parseUnsignedLong(parts[1]));
        }
        return values;
    }

    private record Result(int exit, String output) {
    }

    private Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
