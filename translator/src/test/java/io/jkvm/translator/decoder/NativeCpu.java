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
 * The host CPU as an oracle for whether bytes raise #UD in 64-bit mode, through a small C helper
 * ({@code native_probe.c}, compiled with gcc on first use) that runs each sequence in a contained sandbox. Only
 * used to verify the claim behind an explanation that objdump accepts an encoding the CPU rejects, and only for
 * vector and x87 encodings (never control transfers or system instructions).
 */
final class NativeCpu implements AutoCloseable {

    enum Outcome { UD, RAN, FAULTED, UNKNOWN }

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

    /** Runs each sequence (at most 15 bytes) and reports what the CPU did. */
    synchronized List<Outcome> run(List<byte[]> sequences) {
        List<Outcome> result = new ArrayList<>(sequences.size());
        try {
            for (byte[] s : sequences) {
                in.println(HexFormat.of().formatHex(s));
            }
            for (int i = 0; i < sequences.size(); i++) {
                String line = out.readLine();
                if (line == null) {
                    result.add(Outcome.UNKNOWN);
                } else if (line.equals("UD")) {
                    result.add(Outcome.UD);
                } else if (line.startsWith("OK")) {
                    result.add(Outcome.RAN);
                } else {
                    result.add(Outcome.FAULTED);
                }
            }
        } catch (IOException e) {
            while (result.size() < sequences.size()) {
                result.add(Outcome.UNKNOWN);
            }
        }
        return result;
    }

    @Override
    public synchronized void close() {
        process.destroy();
    }
}
