package io.jkvm.translator.diff;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Encodes cases with GNU as (Intel syntax), many cases per invocation: every instruction gets a label
 * {@code c<case>_<insn>} and the case start {@code c<case>}, so the boundaries come from the assembler. In case
 * text, {@code LABEL_x} stands for {@code c<case>_x} (instruction x, or a label the line defines itself, such as
 * {@code LABEL_T3: add eax, ebx}), and {@code CASE} for the case start: {@code [rip + CASE + (target - CODE)]} is a
 * RIP-relative reference to the linear address {@code target} once the case runs at {@link DiffLayout#CODE}.
 */
final class GasAssembler {
    private static final String AS = System.getProperty("jkvm.as", "as");
    private final Path work;

    GasAssembler(Path work) {
        this.work = work;
    }

    /** Why GNU as cannot be used here, if it cannot. */
    static Optional<String> unavailableReason() {
        try {
            Process p = new ProcessBuilder(AS, "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.contains("GNU assembler")) {
                return Optional.of(AS + " is not GNU as: " + out);
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("GNU as is not available (" + e.getMessage() + "): install binutils");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /** Assembles every case in place (sets {@link DiffCase#code} and {@link DiffCase#offsets}). */
    void assemble(List<DiffCase> cases) throws IOException, InterruptedException {
        StringBuilder s = new StringBuilder(".intel_syntax noprefix\n.text\n");
        for (int k = 0; k < cases.size(); k++) {
            DiffCase c = cases.get(k);
            String start = "c" + k;
            s.append(start).append(":\n");
            for (int i = 0; i < c.lines.size(); i++) {
                s.append(start).append('_').append(i).append(": ")
                        .append(c.lines.get(i).replace("CASE", start).replace("LABEL_", start + "_"))
                        .append('\n');
            }
            s.append(start).append("_end:\n");
        }
        Path src = Files.createTempFile(work, "cases", ".s");
        Path obj = Path.of(src.toString().replace(".s", ".o"));
        try {
            Files.writeString(src, s);
            Process p = new ProcessBuilder(AS, "--64", "-o", obj.toString(), src.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("as failed:\n" + excerpt(out, s.toString()));
            }
            ElfObject elf = ElfObject.parse(Files.readAllBytes(obj));
            for (int k = 0; k < cases.size(); k++) {
                DiffCase c = cases.get(k);
                String start = "c" + k;
                long base = elf.symbols.get(start);
                int n = c.lines.size();
                c.offsets = new int[n + 1];
                for (int i = 0; i < n; i++) {
                    c.offsets[i] = (int) (elf.symbols.get(start + "_" + i) - base);
                }
                long end = elf.symbols.get(start + "_end");
                c.offsets[n] = (int) (end - base);
                c.code = java.util.Arrays.copyOfRange(elf.text, (int) base, (int) end);
                if (c.code.length > DiffLayout.CODE_SIZE) {
                    throw new IOException(c.name() + " does not fit the code page");
                }
            }
        } finally {
            Files.deleteIfExists(src);
            Files.deleteIfExists(obj);
        }
    }

    /** The assembler's messages with the offending source lines, for a readable failure. */
    private static String excerpt(String messages, String source) {
        String[] lines = source.split("\n");
        StringBuilder b = new StringBuilder();
        int shown = 0;
        for (String m : messages.split("\n")) {
            b.append(m).append('\n');
            java.util.regex.Matcher x = java.util.regex.Pattern.compile(":(\\d+): ").matcher(m);
            if (x.find() && shown++ < 20) {
                int line = Integer.parseInt(x.group(1));
                if (line >= 1 && line <= lines.length) {
                    b.append("    ").append(lines[line - 1]).append('\n');
                }
            }
        }
        return b.toString();
    }
}
