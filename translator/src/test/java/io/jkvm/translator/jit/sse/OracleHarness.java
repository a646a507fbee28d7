package io.jkvm.translator.jit.sse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs instruction forms on the host CPU and on jkvm with identical inputs and compares everything architectural
 * the instruction can touch: XMM0-15, the GPRs (RSP and the harness's R14/R15 excepted), MXCSR, the six arithmetic
 * flags, the data buffer, and the exception raised (as the signal Linux turns it into).
 */
final class OracleHarness implements AutoCloseable {
    /** Arithmetic flags of RFLAGS: OF SF ZF AF PF CF. */
    static final long ARITH = 0x8d5;

    final HostCpu host;
    final GuestCpu guest;
    private final Path dir;

    private OracleHarness(Path dir, HostCpu host) {
        this.dir = dir;
        this.host = host;
        this.guest = new GuestCpu(host.memBase());
    }

    static OracleHarness start() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jkvm-sse-oracle");
        return new OracleHarness(dir, HostCpu.start(dir));
    }

    /** A form under test: its bytes and which bytes of the data buffer not to compare (null: all). */
    record Form(String name, byte[] code, boolean[] ignoreMem) {
        Form(String name, byte[] code) {
            this(name, code, null);
        }
    }

    static byte[] bytes(int... b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = (byte) b[i];
        }
        return r;
    }

    /** A fresh input for {@code form} with random bits everywhere, RDI at the data buffer; then {@code setup}. */
    HostCpu.Exec input(Form form, Values v, Consumer<HostCpu.Exec> setup) {
        HostCpu.Exec e = new HostCpu.Exec(form.code());
        for (int i = 0; i < 32; i++) {
            e.xmm[i] = v.random.nextLong();
        }
        for (int i = 0; i < 16; i++) {
            e.gpr[i] = v.random.nextLong();
        }
        e.gpr[7] = host.memBase();
        v.random.nextBytes(e.mem);
        e.rflags = 0x202 | (v.random.nextLong() & ARITH);
        setup.accept(e);
        return e;
    }

    /**
     * Runs {@code inputs} of {@code form} on both CPUs and fails with the first mismatches.
     *
     * @return the number of vectors compared
     */
    int compare(Form form, List<HostCpu.Exec> inputs) throws IOException {
        return compare(form, inputs, (in, host, jkvm) -> diff(form, host, jkvm));
    }

    /** Decides whether jkvm's outputs are acceptable for an input given the host's: a description, or null. */
    @FunctionalInterface
    interface Checker {
        String diff(HostCpu.Exec input, HostCpu.Exec host, HostCpu.Exec jkvm);
    }

    /** As {@link #compare(Form, List)}, with a custom acceptance rule (for results the SDM only bounds). */
    int compare(Form form, List<HostCpu.Exec> inputs, Checker checker) throws IOException {
        int index = guest.place(form.code());
        List<HostCpu.Exec> expected = GuestCpu.copy(inputs);
        host.run(expected);
        List<String> failures = new ArrayList<>();
        int failed = 0;
        for (int k = 0; k < inputs.size(); k++) {
            HostCpu.Exec actual = GuestCpu.copy(inputs.get(k));
            guest.run(index, actual);
            String diff = checker.diff(inputs.get(k), expected.get(k), actual);
            if (diff != null) {
                failed++;
                if (failures.size() < 8) {
                    failures.add(describe(inputs.get(k)) + "\n    " + diff);
                }
            }
        }
        assertTrue(failed == 0, form.name() + ": " + failed + " of " + inputs.size() + " vectors differ from the host:\n"
                + String.join("\n", failures));
        return inputs.size();
    }

    static String diff(Form form, HostCpu.Exec host, HostCpu.Exec jkvm) {
        StringBuilder d = new StringBuilder();
        if (host.signal != jkvm.signal) {
            d.append(" signal host=").append(host.signal).append(" jkvm=").append(jkvm.signal);
        }
        if (host.mxcsr != jkvm.mxcsr) {
            d.append(String.format(" mxcsr host=%04x jkvm=%04x", host.mxcsr, jkvm.mxcsr));
        }
        if ((host.rflags & ARITH) != (jkvm.rflags & ARITH)) {
            d.append(String.format(" rflags host=%03x jkvm=%03x", host.rflags & ARITH, jkvm.rflags & ARITH));
        }
        for (int i = 0; i < 32; i++) {
            if (host.xmm[i] != jkvm.xmm[i]) {
                d.append(String.format(" xmm%d.%s host=%016x jkvm=%016x", i / 2, i % 2 == 0 ? "lo" : "hi",
                        host.xmm[i], jkvm.xmm[i]));
            }
        }
        for (int i = 0; i < 14; i++) {
            if (i != 4 && host.gpr[i] != jkvm.gpr[i]) {
                d.append(String.format(" gpr%d host=%016x jkvm=%016x", i, host.gpr[i], jkvm.gpr[i]));
            }
        }
        for (int i = 0; i < host.mem.length; i++) {
            if (host.mem[i] != jkvm.mem[i] && (form.ignoreMem() == null || !form.ignoreMem()[i])) {
                d.append(String.format(" mem[%d] host=%02x jkvm=%02x", i, host.mem[i] & 0xff, jkvm.mem[i] & 0xff));
                break;
            }
        }
        return d.isEmpty() ? null : d.toString();
    }

    private static String describe(HostCpu.Exec e) {
        return String.format("  in: mxcsr=%04x xmm0=%016x:%016x xmm1=%016x:%016x xmm2=%016x:%016x rax=%016x mem=%s",
                e.mxcsr, e.xmm[1], e.xmm[0], e.xmm[3], e.xmm[2], e.xmm[5], e.xmm[4], e.gpr[0],
                HexFormat.of().formatHex(e.mem, 0, 16));
    }

    static void putLong(byte[] mem, int offset, long v) {
        for (int i = 0; i < 8; i++) {
            mem[offset + i] = (byte) (v >>> (8 * i));
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        host.close();
        guest.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
