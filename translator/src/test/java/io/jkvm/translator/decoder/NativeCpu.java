package io.jkvm.translator.decoder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The host CPU as an oracle, through a small C helper ({@code native_probe.c}, compiled with gcc on first use)
 * that runs byte sequences in a contained sandbox in 64-bit mode: whether they raise #UD, how many bytes ran and
 * what RFLAGS ended as. Used to verify explanations that objdump accepts an encoding the CPU rejects (vector and
 * x87 encodings only), and the flag masks of the general-purpose mnemonics. Never given control transfers or
 * system instructions.
 */
final class NativeCpu implements AutoCloseable {

    enum Outcome { UD, RAN, FAULTED, UNKNOWN }

    /** What one run did: for {@link Outcome#RAN}, the bytes executed and RFLAGS at the end. */
    record Result(Outcome outcome, int length, long rflags) {
    }

    private static NativeCpu shared;
    private static boolean tried;

    private final Process process;
    private final PrintWriter in;
    private final BufferedReader out;

    private NativeCpu(Process process) {
        this.process = process;
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.US_ASCII);
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    }

    /** The shared probe, or null where the host is not x86-64 Linux with gcc. */
    static synchronized NativeCpu get() {
        if (!tried) {
            tried = true;
            shared = start();
        }
        return shared;
    }

    private static NativeCpu start() {
        String arch = System.getProperty("os.arch", "");
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!(arch.equals("amd64") || arch.equals("x86_64")) || !os.contains("linux")) {
            return null;
        }
        try {
            Path dir = Files.createTempDirectory("jkvm-native-probe");
            Path source = dir.resolve("native_probe.c");
            try (InputStream s = NativeCpu.class.getResourceAsStream("native_probe.c")) {
                Files.write(source, s.readAllBytes());
            }
            Path binary = dir.resolve("native_probe");
            dir.toFile().deleteOnExit();
            source.toFile().deleteOnExit();
            binary.toFile().deleteOnExit();
            Process cc = new ProcessBuilder("gcc", "-O1", "-o", binary.toString(), source.toString())
                    .redirectErrorStream(true).start();
            cc.getInputStream().readAllBytes();
            if (!cc.waitFor(60, TimeUnit.SECONDS) || cc.exitValue() != 0) {
                return null;
            }
            Process p = new ProcessBuilder(binary.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            return new NativeCpu(p);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Runs each sequence and reports only whether the CPU raised #UD, ran it or faulted. */
    List<Outcome> run(List<byte[]> sequences) {
        return execute(sequences).stream().map(Result::outcome).toList();
    }

    /** Runs each program (at most 64 bytes, ending where execution should stop) and reports what the CPU did. */
    synchronized List<Result> execute(List<byte[]> programs) {
        List<Result> result = new ArrayList<>(programs.size());
        try {
            for (byte[] s : programs) {
                in.println(HexFormat.of().formatHex(s));
            }
            for (int i = 0; i < programs.size(); i++) {
                String line = out.readLine();
                if (line == null) {
                    result.add(new Result(Outcome.UNKNOWN, 0, 0));
                } else if (line.equals("UD")) {
                    result.add(new Result(Outcome.UD, 0, 0));
                } else if (line.startsWith("OK")) {
                    String[] f = line.split(" ");
                    result.add(new Result(Outcome.RAN, Integer.parseInt(f[1]), Long.parseUnsignedLong(f[2], 16)));
                } else {
                    result.add(new Result(Outcome.FAULTED, 0, 0));
                }
            }
        } catch (IOException e) {
            while (result.size() < programs.size()) {
                result.add(new Result(Outcome.UNKNOWN, 0, 0));
            }
        }
        return result;
    }

    @Override
    public synchronized void close() {
        process.destroy();
    }
}
