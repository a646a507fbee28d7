package io.jkvm.guests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.guests.GuestCatalog.Guest;
import io.jkvm.guests.GuestCatalog.Kind;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Boots every guest of guests.index on {@code qemu-system-x86_64} (TCG) at the small size and checks its
 * verdict: the same image files jkvm runs, on an independent machine model.
 *
 * <p>Runs only with the Maven profile {@code qemu} ({@code ./mvnw -Pqemu -pl guests verify}); skipped with
 * a message when QEMU is not installed (it installs nothing: {@code apt-get install qemu-system-x86}).
 * QEMU's isa-debug-exit turns the guest's status s into the process exit code {@code (s << 1) | 1}.
 */
class QemuBootTest {

    static final String QEMU = "qemu-system-x86_64";
    static final Duration TIMEOUT = Duration.ofSeconds(180);
    static final int EXCEPTION_STATUS = 0x7f;
    /** SeaBIOS's last words share a line with the guest's first output. */
    static final Pattern FIRMWARE_PREFIX = Pattern.compile("^.*Booting from [A-Za-z ]+\\.\\.");

    static Path images;

    @BeforeAll
    static void findQemu() {
        boolean present = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, QEMU)));
        assumeTrue(present, QEMU + " not found on PATH: install QEMU (Debian: apt-get install qemu-system-x86)"
                + " to boot the guest images; this test installs nothing");
        images = ImageFormatTest.imagesDir();
    }

    record Run(int exitCode, List<String> lines) {
        int status() {
            return (exitCode - 1) >> 1;
        }

        boolean hasLine(String regex) {
            Pattern p = Pattern.compile(regex);
            return lines.stream().anyMatch(l -> p.matcher(l).matches());
        }

        String text() {
            return String.join("\n", lines);
        }
    }

    /** Boots an ELF image with -kernel and the given -append text; waits for QEMU to exit. */
    static Run boot(String file, String append) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(QEMU, "-kernel", images.resolve(file).toString(),
                "-append", append));
        command.addAll(commonOptions());
        return run(command, null);
    }

    static List<String> commonOptions() {
        return List.of("-nographic", "-serial", "stdio", "-monitor", "none", "-display", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-m", "256");
    }

    /** Runs QEMU; with {@code until} set, stops it once the output contains that text (for guests that halt). */
    static Run run(List<String> command, String until) throws IOException, InterruptedException {
        Path out = Files.createTempFile("jkvm-qemu-", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).start();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            boolean exited = false;
            while (!exited && System.nanoTime() < deadline) {
                exited = p.waitFor(100, TimeUnit.MILLISECONDS);
                if (!exited && until != null && Files.readString(out, StandardCharsets.ISO_8859_1).contains(until)) {
                    break;
                }
            }
            if (!p.isAlive()) {
                exited = true;
            } else {
                p.destroyForcibly().waitFor();
            }
            List<String> lines = Files.readString(out, StandardCharsets.ISO_8859_1).lines()
                    .map(l -> FIRMWARE_PREFIX.matcher(l.replace("\r", "")).replaceFirst("")).toList();
            if (!exited && until == null) {
                throw new AssertionError("QEMU did not exit within " + TIMEOUT + ":\n" + String.join("\n", lines));
            }
            return new Run(exited ? p.exitValue() : -1, lines);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyGuestBootsAndReportsItsVerdict() throws IOException {
        return ImageFormatTest.guests().stream().map(g -> DynamicTest.dynamicTest(g.name(), () -> check(g)));
    }

    static void check(Guest g) throws IOException, InterruptedException {
        if (!g.isElf()) {
            checkRealMode(g);
            return;
        }
        Run run = boot(g.fileName(), g.name() + " small");
        String name = Pattern.quote(g.name());
        switch (g.name()) {
            case "trap" -> {
                assertEquals(EXCEPTION_STATUS, run.status(), run.text());
                assertTrue(run.hasLine("EXCEPTION 14 err=0x6 rip=0x[0-9a-f]+ cr2=0x100000000"), run.text());
                return;
            }
            case "hypercall" -> {
                assertEquals(0, run.status(), run.text());
                Assumptions.assumeFalse(run.hasLine("SKIP hypercall .*"),
                        "VMCALL raised #UD under QEMU TCG (no hypercall interface):\n" + run.text());
            }
            case "hello" -> assertTrue(run.hasLine(".*Hello from jkvm guest"), run.text());
            default -> {
            }
        }
        assertEquals(0, run.status(), "exit status\n" + run.text());
        String verdict = g.kind() == Kind.COMPUTE ? "PASS " + name + " [0-9a-f]{16}" : "PASS " + name + "( .*)?";
        assertTrue(run.hasLine(verdict), "no line matching '" + verdict + "':\n" + run.text());
    }

    static void checkRealMode(Guest g) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(QEMU, "-drive",
                "file=" + images.resolve(g.fileName()) + ",format=raw,if=ide,snapshot=on"));
        command.addAll(commonOptions());
        Run run = run(command, "hello\n");
        assertTrue(run.hasLine(".*hello"), "real-mode guest did not print hello:\n" + run.text());
    }

    @Test
    void expectOverrideMakesAComputeGuestFail() throws IOException, InterruptedException {
        Run run = boot("crc32.elf", "crc32 small expect=1234");
        assertEquals(1, run.status(), run.text());
        assertTrue(run.hasLine("FAIL crc32 got [0-9a-f]{16} expected 0000000000001234"), run.text());
    }

    @Test
    void expectOverrideWithTheRightAnswerPasses() throws IOException, InterruptedException {
        Run first = boot("sha256.elf", "sha256 small");
        String checksum = first.lines().stream().filter(l -> l.startsWith("PASS sha256 ")).findFirst()
                .orElseThrow(() -> new AssertionError(first.text())).substring("PASS sha256 ".length());
        Run second = boot("sha256.elf", "small expect=" + checksum);
        assertEquals(0, second.status(), second.text());
        assertTrue(second.hasLine("PASS sha256 " + checksum), second.text());
    }

    @Test
    void commandLineWithoutTheGuestNameWorks() throws IOException, InterruptedException {
        Run run = boot("hello.elf", "one two");
        assertTrue(run.hasLine("argv\\[1\\]: one"), run.text());
        assertTrue(run.hasLine("argv\\[2\\]: two"), run.text());
        assertTrue(run.hasLine("argv\\[0\\]: .*hello\\.elf"), "QEMU passes the kernel path first:\n" + run.text());
    }

    @Test
    void unknownSizeIsAUsageError() throws IOException, InterruptedException {
        Run run = boot("sort.elf", "sort huge");
        assertEquals(2, run.status(), run.text());
        assertTrue(run.hasLine("FAIL sort unknown size 'huge'.*"), run.text());
    }

    @Test
    void undefinedOpcodeIsReportedByTheExceptionHandler() throws IOException, InterruptedException {
        Run run = boot("trap.elf", "trap ud");
        assertEquals(EXCEPTION_STATUS, run.status(), run.text());
        assertTrue(run.hasLine("EXCEPTION 6 err=0x0 rip=0x[0-9a-f]+ cr2=0x0"), run.text());
    }
}
