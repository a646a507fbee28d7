package io.jkvm.translator.decoder;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every instruction of real compiled code must decode as objdump reads it: same length and mnemonic, and for the
 * instructions jkvm executes (not {@link Attribute#DECODE_ONLY}) the same operands, compared as Intel-syntax text
 * after a few spelling normalisations. The code is C compiled by gcc in the test (16, 32 and 64-bit, -O2 and
 * beyond, with AVX2/AVX-512 variants for decode coverage), the jkvm guests' images and the .text of /usr/bin/ls.
 */
class CompiledCodeTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void needsObjdump() {
        assumeTrue(ObjdumpOracle.available(), "GNU objdump is not on the PATH: install binutils to run the"
                + " decoder's objdump oracle tests");
    }

    static Stream<Arguments> builds() {
        return Stream.of(
                Arguments.of("-O2", CodeSize.BITS64),
                Arguments.of("-O3 -march=x86-64-v3", CodeSize.BITS64),
                Arguments.of("-O3 -march=x86-64-v4", CodeSize.BITS64),
                Arguments.of("-O2 -m32", CodeSize.BITS32),
                Arguments.of("-O2 -m32 -msse2 -mfpmath=sse", CodeSize.BITS32),
                Arguments.of("-O2 -m16", CodeSize.BITS16));
    }

    @ParameterizedTest(name = "gcc {0}")
    @MethodSource("builds")
    void compiledCDecodesAsObjdumpReadsIt(String flags, CodeSize mode) throws Exception {
        List<String> failures = new ArrayList<>();
        int total = 0;
        for (String name : new String[] {"integer.c", "floating.c"}) {
            Path source = dir.resolve(name);
            try (InputStream in = getClass().getResourceAsStream("compiled/" + name)) {
                Files.write(source, in.readAllBytes());
            }
            Path object = dir.resolve(name + flags.replaceAll("[^a-z0-9]", "_") + ".o");
            List<String> cc = new ArrayList<>(List.of("gcc", "-c", "-o", object.toString()));
            cc.addAll(List.of(flags.split(" ")));
            cc.add(source.toString());
            String ccOut;
            try {
                ccOut = run(cc);
            } catch (IOException e) {
                ccOut = e.getMessage();
            }
            assumeTrue(Files.exists(object), "gcc cannot build " + flags + " here (install gcc, and gcc-multilib"
                    + " for -m32/-m16): " + ccOut);
            total += compare(object, mode, List.of(), failures);
        }
        assertTrue(total > 200, "too few instructions disassembled: " + total);
        assertTrue(failures.isEmpty(), failures.size() + " of " + total + " instructions differ:\n"
                + String.join("\n", failures.subList(0, Math.min(40, failures.size()))));
    }

    @Test
    void systemBinaryDecodesAsObjdumpReadsIt() throws Exception {
        Path ls = Path.of("/usr/bin/ls");
        assumeTrue(Files.isRegularFile(ls), "no /usr/bin/ls on this host");
        List<String> failures = new ArrayList<>();
        int total = compare(ls, CodeSize.BITS64, List.of("-j", ".text"), failures);
        assertTrue(total > 1000, "too few instructions disassembled: " + total);
        assertTrue(failures.isEmpty(), failures.size() + " of " + total + " instructions differ:\n"
                + String.join("\n", failures.subList(0, Math.min(40, failures.size()))));
    }

    /**
     * The guests' images (built by the guests module into {@code guests/target/images}, or wherever
     * {@code -Djkvm.guests.images} points): the 32-bit multiboot stub, the 64-bit code after it, and the real-mode
     * boot sector, each decoded in its own mode.
     */
    @Test
    void guestImagesDecodeAsObjdumpReadsThem() throws Exception {
        Path images = Path.of(System.getProperty("jkvm.guests.images", "../guests/target/images"));
        assumeTrue(Files.isDirectory(images), "no guest images at " + images.toAbsolutePath()
                + ": build them (./mvnw -pl guests package) or point -Djkvm.guests.images at them");
        List<String> failures = new ArrayList<>();
        int total = 0;
        List<Path> files;
        try (Stream<Path> list = Files.list(images)) {
            files = list.sorted().toList();
        }
        for (Path image : files) {
            String name = image.getFileName().toString();
            if (name.endsWith(".bin")) {
                total += compare(image, CodeSize.BITS16, List.of("-b", "binary", "-m", "i8086"), failures);
            } else if (name.endsWith(".elf")) {
                Map<String, Long> symbols = symbols(image);
                Long stub = symbols.get("multiboot_entry");
                Long longMode = symbols.get("from_multiboot");
                if (stub == null || longMode == null) {
                    failures.add(name + ": no multiboot_entry/from_multiboot symbols to split 32- from 64-bit code");
                    continue;
                }
                total += compare(image, CodeSize.BITS32, List.of("-j", ".text", "--start-address=0x"
                        + Long.toHexString(stub), "--stop-address=0x" + Long.toHexString(longMode)), failures);
                total += compare(image, CodeSize.BITS64, List.of("-j", ".text", "--start-address=0x"
                        + Long.toHexString(longMode)), failures);
            }
        }
        assertTrue(total > 1000, "too few guest instructions disassembled: " + total);
        assertTrue(failures.isEmpty(), failures.size() + " of " + total + " instructions differ:\n"
                + String.join("\n", failures.subList(0, Math.min(40, failures.size()))));
    }

    private static Map<String, Long> symbols(Path elf) throws IOException, InterruptedException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String l : run(List.of("objdump", "-t", elf.toString())).split("\n")) {
            String[] f = l.strip().split("\\s+");
            if (f.length >= 4 && f[0].matches("[0-9a-f]{8,16}")) {
                out.put(f[f.length - 1], Long.parseLong(f[0], 16));
            }
        }
        return out;
    }

    private static final Pattern SECTION = Pattern.compile("^Disassembly of section (\\S+):$");
    private static final Pattern INSN = Pattern.compile("^ *([0-9a-f]+):\\t([0-9a-f ]+?) *(?:\\t(.*))?$");

    /** Disassembles {@code file} with objdump, decodes every instruction with jkvm, records differences. */
    private static int compare(Path file, CodeSize mode, List<String> extra, List<String> failures)
            throws IOException, InterruptedException {
        // A flat binary has no code section: -D disassembles it all.
        List<String> cmd = new ArrayList<>(List.of("objdump", extra.contains("binary") ? "-D" : "-d", "-z",
                "--insn-width=16", "-M", "intel," + ObjdumpOracle.modeOption(mode)));
        cmd.addAll(extra);
        cmd.add(file.toString());
        String text = run(cmd);

        // Rebuild each section's bytes from the listing (objdump -z lists them all, in order), then decode
        // instruction by instruction.
        record Line(String section, long address, int length, String text) {
        }
        List<Line> lines = new ArrayList<>();
        Map<String, java.io.ByteArrayOutputStream> sections = new LinkedHashMap<>();
        Map<String, Long> bases = new LinkedHashMap<>();
        String section = "?";
        for (String l : text.split("\n")) {
            Matcher s = SECTION.matcher(l);
            if (s.matches()) {
                section = s.group(1);
                continue;
            }
            Matcher m = INSN.matcher(l);
            if (!m.matches()) {
                continue;
            }
            long address = Long.parseLong(m.group(1), 16);
            String[] hex = m.group(2).strip().split(" +");
            bases.putIfAbsent(section, address);
            java.io.ByteArrayOutputStream bytes = sections.computeIfAbsent(section,
                    k -> new java.io.ByteArrayOutputStream());
            if (bases.get(section) + bytes.size() != address) {
                throw new IllegalStateException("objdump listing is not contiguous at " + l);
            }
            for (String h : hex) {
                bytes.write(Integer.parseInt(h, 16));
            }
            if (m.group(3) == null) {
                Line last = lines.removeLast();
                lines.add(new Line(last.section(), last.address(), last.length() + hex.length, last.text()));
            } else {
                lines.add(new Line(section, address, hex.length, m.group(3).strip()));
            }
        }
        Map<String, byte[]> code = new LinkedHashMap<>();
        sections.forEach((k, v) -> code.put(k, v.toByteArray()));
        int count = 0;
        for (Line line : lines) {
            byte[] all = code.get(line.section());
            int offset = (int) (line.address() - bases.get(line.section()));
            byte[] window = java.util.Arrays.copyOfRange(all, offset, Math.min(all.length, offset + 15));
            int available = window.length;
            count++;
            String where = file.getFileName() + " " + line.section() + "+0x" + Long.toHexString(line.address());
            ObjdumpSyntax.First first = ObjdumpSyntax.first(List.of(new ObjdumpOracle.Line(line.address(),
                    line.length(), line.text())));
            Instruction insn;
            try {
                insn = Decoder.decode(window, 0, available, line.address(), mode);
            } catch (DecodeException e) {
                if (!first.rejected()) {
                    failures.add(where + ": objdump '" + line.text() + "', jkvm " + e.reason() + ": "
                            + e.getMessage());
                }
                continue;
            }
            if (first.rejected()) {
                continue; // data objdump could not read either (the odd padding byte); nothing to compare
            }
            String problem = OracleComparison.mismatch(window, mode, first, insn);
            if (problem == null && !insn.mnemonic().is(Attribute.DECODE_ONLY)) {
                problem = operandsDiffer(first, insn);
            }
            if (problem != null) {
                failures.add(where + ": objdump '" + line.text() + "', jkvm '" + insn + "' (" + insn.length()
                        + " bytes): " + problem);
            }
        }
        return count;
    }

    /** Compares operand text after normalising the spellings that do not matter. */
    private static String operandsDiffer(ObjdumpSyntax.First first, Instruction insn) {
        if (insn.mnemonic() == Mnemonic.NOP && insn.operands().isEmpty()) {
            return null; // objdump writes 66 90 as "xchg ax,ax"
        }
        if (Disassembler.mnemonic(insn).startsWith("cmp") && !first.mnemonic().startsWith(
                Disassembler.mnemonic(insn))) {
            return null; // objdump's predicate pseudo-op (cmpltsd) carries the imm8 in its name
        }
        String theirs = normalise(ObjdumpSyntax.stripComment(first.operands()));
        StringBuilder mine = new StringBuilder();
        for (Operand o : insn.operands()) {
            if (!mine.isEmpty()) {
                mine.append(',');
            }
            mine.append(o instanceof Operand.Rel r ? Long.toHexString(r.target()) : Disassembler.operand(insn, o));
        }
        String ours = normalise(mine.toString());
        return ours.equals(theirs) ? null : "operands '" + ours + "' vs objdump '" + theirs + "'";
    }

    static String normalise(String s) {
        return s.toLowerCase(Locale.ROOT)
                .replace(" ", "")
                .replaceAll("\\+[re]iz\\*\\d", "")
                .replaceAll("\\[[re]iz\\*\\d\\+", "[")
                .replace("+0x0]", "]")
                .replace("st(0)", "st")
                .replaceAll("(?<![0-9a-fx])0x(?=[0-9a-f]+$)", "");
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(5, TimeUnit.MINUTES);
        return new String(out, StandardCharsets.UTF_8);
    }
}
