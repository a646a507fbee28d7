package io.jkvm.translator.diff;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The oracle: runs cases natively at CPL 3 on the host CPU with {@code host_exec} (a small C program from the test
 * resources, compiled here with gcc into {@code target/diff}) and returns the state each one ended in. See
 * {@code host_exec.c} for the protocol. Batches are written to a file and run by one process.
 */
final class HostExecutor {
    private static final int MAGIC_CASE = 0x43444b4a;
    private static final int MAGIC_RESULT = 0x52444b4a;
    private static final int KIND_FINAL = 1;
    private static final int KIND_STEP = 2;
    /** Size of the fixed part of a result record. */
    private static final int RESULT_HEAD = 4 * 4 + 3 * 8 + 16 * 8 + 2 * 8 + 2 * 4 + 256;
    private static final String CC = System.getProperty("jkvm.cc", "gcc");

    private static Path binary;
    private static String unavailable;

    private final Path work;

    private HostExecutor(Path work) {
        this.work = work;
    }

    /** Builds the executor once per JVM; empty with the reason in {@link #unavailableReason()} if it cannot run. */
    static synchronized Optional<HostExecutor> create() {
        Path dir = workDirectory();
        if (binary == null && unavailable == null) {
            unavailable = build(dir);
        }
        return unavailable == null ? Optional.of(new HostExecutor(dir)) : Optional.empty();
    }

    static synchronized String unavailableReason() {
        return unavailable;
    }

    static Path workDirectory() {
        Path dir = Path.of(System.getProperty("basedir", "."), "target", "diff");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return dir;
    }

    private static String build(Path dir) {
        String os = System.getProperty("os.name", "") + "/" + System.getProperty("os.arch", "");
        if (!os.startsWith("Linux/") || !(os.endsWith("amd64") || os.endsWith("x86_64"))) {
            return "the host oracle needs Linux on x86-64 (this is " + os + ")";
        }
        try (InputStream in = HostExecutor.class.getResourceAsStream("/diff/host_exec.c")) {
            if (in == null) {
                return "test resource diff/host_exec.c is missing";
            }
            Path src = dir.resolve("host_exec.c");
            Files.write(src, in.readAllBytes());
            Path exe = dir.resolve("host_exec");
            Process p;
            try {
                p = new ProcessBuilder(CC, "-O2", "-Wall", "-Werror", "-o", exe.toString(), src.toString())
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                return CC + " is not available (" + e.getMessage() + "): install gcc or pass -Djkvm.cc=...";
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return CC + " failed to build host_exec:\n" + out;
            }
            binary = exe;
            return null;
        } catch (IOException e) {
            return "cannot build host_exec: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while building host_exec";
        }
    }

    /** Runs {@code cases} (assembled) natively; with {@code trace}, records the state after every instruction. */
    List<Outcome> run(List<DiffCase> cases, boolean trace) throws IOException, InterruptedException {
        Path in = Files.createTempFile(work, "batch", ".in");
        Path out = Files.createTempFile(work, "batch", ".out");
        Path err = Files.createTempFile(work, "batch", ".err");
        try {
            try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(in), 1 << 20)) {
                for (DiffCase c : cases) {
                    o.write(encode(c, trace));
                }
                o.write(new byte[4]);
            }
            Process p = new ProcessBuilder(binary.toString()).redirectInput(in.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            long timeout = 30 + cases.size() / 100;
            if (!p.waitFor(timeout, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("host_exec did not finish within " + timeout + " s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("host_exec exited with " + p.exitValue() + ": " + Files.readString(err));
            }
            return decode(Files.readAllBytes(out), cases);
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static byte[] encode(DiffCase c, boolean trace) {
        MachineState s = c.initial;
        ByteBuffer b = ByteBuffer.allocate(8 + 16 * 8 + 8 + 8 + 256 + DiffLayout.SCRATCH_SIZE + c.code.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_CASE).putInt(trace ? 1 : 0);
        for (long r : s.gpr) {
            b.putLong(r);
        }
        b.putLong(s.rflags).putInt(s.mxcsr).putInt(c.code.length);
        for (long x : s.xmm) {
            b.putLong(x);
        }
        b.put(s.scratch).put(c.code);
        return b.array();
    }

    private static List<Outcome> decode(byte[] data, List<DiffCase> cases) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        List<Outcome> result = new ArrayList<>(cases.size());
        List<MachineState> steps = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < RESULT_HEAD || b.getInt() != MAGIC_RESULT) {
                throw new IOException("malformed host_exec output at byte " + b.position());
            }
            int kind = b.getInt();
            int signo = b.getInt();
            int siCode = b.getInt();
            long trapno = b.getLong();
            long errorCode = b.getLong();
            long addr = b.getLong();
            MachineState s = new MachineState();
            for (int i = 0; i < 16; i++) {
                s.gpr[i] = b.getLong();
            }
            s.rip = b.getLong();
            s.rflags = b.getLong();
            s.mxcsr = b.getInt();
            int ndiff = b.getInt();
            for (int i = 0; i < 32; i++) {
                s.xmm[i] = b.getLong();
            }
            DiffCase c = cases.get(result.size());
            s.scratch = c.initial.scratch.clone();
            for (int i = 0; i < ndiff; i++) {
                int off = b.getInt();
                b.getInt();
                MachineState.putLe64(s.scratch, off, b.getLong());
            }
            if (kind == KIND_STEP) {
                steps.add(s);
                continue;
            }
            if (kind != KIND_FINAL) {
                throw new IOException("unknown record kind " + kind);
            }
            Outcome o = new Outcome(s, (int) trapno, errorCode, addr,
                    "signal " + signo + " code " + siCode);
            o.steps.addAll(steps);
            steps.clear();
            result.add(o);
        }
        if (result.size() != cases.size()) {
            throw new IOException("host_exec returned " + result.size() + " results for " + cases.size() + " cases");
        }
        return result;
    }
}
