package io.jkvm.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.guests.GuestCatalog;
import io.jkvm.runtime.loader.TestGuests;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 'jkvm run' on real guests and on tiny hand-assembled flat binaries, end to end through the JIT backend. Skipped,
 * with the reason, while the JIT backend cannot run (its implementation is missing or reports itself unavailable).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GuestRunTest {
    /** Generous for a loaded build machine: small compute guests retire well under 50 million instructions. */
    static final String TIMEOUT = "--timeout=60s";

    @BeforeEach
    void needsTheJit() {
        String reason = Cli.jitUnavailable();
        assumeTrue(reason == null, "the JIT backend cannot run guests yet: " + reason);
    }

    static Stream<String> computeGuests() throws Exception {
        try (InputStream in = Files.newInputStream(TestGuests.imagesDir().resolve("guests.index"))) {
            return GuestCatalog.parse(in).stream().filter(g -> g.kind() == GuestCatalog.Kind.COMPUTE)
                    .map(GuestCatalog.Guest::name).toList().stream();
        }
    }

    static Path flat(Path dir, String name, int... bytes) throws Exception {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        Path p = dir.resolve(name);
        Files.write(p, b);
        return p;
    }

    // ---------------------------------------------------------------- built-in guests

    @Test
    void helloPrintsItsGreetingAndExitsZero() {
        Cli.Result r = Cli.run("run", TIMEOUT, "hello");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("Hello from jkvm guest"), r.toString());
        assertEquals("", r.err(), "a clean exit prints nothing on stderr");
    }

    @Test
    void helloBootsThroughItsOwn32BitMultibootEntryToo() {
        Cli.Result r = Cli.run("run", TIMEOUT, "--boot=multiboot", "hello");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("Hello from jkvm guest"), r.toString());
    }

    @Test
    void realmodeBootSectorPrintsHelloAndHaltsCleanly() {
        Cli.Result r = Cli.run("run", TIMEOUT, "realmode");
        assertEquals(0, r.status(), r.toString());
        assertEquals("hello\n", r.out());
        assertEquals("", r.err());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("computeGuests")
    void computeGuestsPassTheirSelfCheck(String name) {
        Cli.Result r = Cli.run("run", TIMEOUT, "--memory=64M", name);
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("PASS " + name + " ")), r.toString());
    }

    @Test
    void guestArgumentsReachTheGuest() {
        // a wrong expected checksum must make the guest fail: proves expect=... arrived in argv
        Cli.Result r = Cli.run("run", TIMEOUT, "sha256", "small", "expect=0");
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("FAIL sha256 ")), r.toString());
    }

    @Test
    void aGuestFileGivenByPathRunsLikeItsName() {
        Cli.Result r = Cli.run("run", TIMEOUT, TestGuests.image("hello.elf").toString());
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("Hello from jkvm guest"), r.toString());
    }

    @Test
    void pioPassesAndItsTestPortShowsUpAsUnmappedInTheJsonStatistics(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("stats.json");
        Cli.Result r = Cli.run("run", TIMEOUT, "--stats", "--stats-json", json.toString(), "pio");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("PASS pio"), r.toString());
        assertTrue(r.out().contains("inb=0xff inw=0xffff inl=0xffffffff"), "unmapped reads are all ones: " + r);
        String text = Files.readString(json, StandardCharsets.UTF_8);
        assertTrue(text.contains("\"port\": \"0xe0\""), text);
        assertTrue(text.contains("\"KVM_EXIT_IO\": "), text);
        assertTrue(text.contains("\"exit_status\": 0"), text);
        assertTrue(r.err().contains("unmapped ports:"), r.err());
        assertTrue(r.err().contains("0x00e0 ("), r.err());
        assertTrue(r.err().contains("exit status:         0"), r.err());
    }

    @Test
    void mmioReadsOfUnmappedSpaceGiveAllOnes() {
        Cli.Result r = Cli.run("run", TIMEOUT, "mmio", "expect=ffffffff");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("PASS mmio"), r.toString());
    }

    @Test
    void trapReportsTheExceptionAndExitsWith0x7f() {
        Cli.Result r = Cli.run("run", TIMEOUT, "trap");
        assertEquals(0x7f, r.status(), r.toString());
        assertTrue(r.out().contains("EXCEPTION 14"), r.toString());
    }

    @Test
    void cpuidAndHypercallGuestsFinish() {
        for (String g : List.of("cpuid", "hypercall")) {
            Cli.Result r = Cli.run("run", TIMEOUT, g);
            assertEquals(0, r.status(), g + ": " + r);
            assertTrue(r.out().contains("PASS " + g) || r.out().contains("SKIP " + g), g + ": " + r);
        }
    }

    // ---------------------------------------------------------------- hand-assembled flat binaries

    @Test
    void debugExitStatusFromRealMode(@TempDir Path dir) throws Exception {
        // mov al, 5 ; out 0xf4, al ; hlt
        Path bin = flat(dir, "exit5.bin", 0xb0, 0x05, 0xe6, 0xf4, 0xf4);
        Cli.Result r = Cli.run("run", TIMEOUT, bin.toString());
        assertEquals(5, r.status(), r.toString());
        assertEquals("", r.err());
    }

    @Test
    void serialInputIsEchoedBack(@TempDir Path dir) throws Exception {
        // wait: mov dx,0x3fd ; in al,dx ; test al,1 ; jz wait ; mov dx,0x3f8 ; in al,dx ; out dx,al ; out 0xf4,al ; hlt
        Path bin = flat(dir, "echo.bin", 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xf8, 0xba, 0xf8, 0x03, 0xec,
                0xee, 0xe6, 0xf4, 0xf4);
        Cli.Result r = Cli.runWithInput(new byte[] {'A'}, "run", TIMEOUT, bin.toString());
        assertEquals('A', r.status(), r.toString());
        assertEquals("A", r.out());
    }

    @Test
    void aTripleFaultIsReportedWithTheCpuState(@TempDir Path dir) throws Exception {
        // lidt [0x7c08] (limit 0) ; ud2 -> #UD cannot be delivered -> #GP -> #DF -> shutdown
        Path bin = flat(dir, "tf.bin", 0x0f, 0x01, 0x1e, 0x08, 0x7c, 0x0f, 0x0b, 0x90, 0, 0, 0, 0, 0, 0);
        Cli.Result r = Cli.run("run", TIMEOUT, bin.toString());
        assertEquals(ExitCodes.TRIPLE_FAULT, r.status(), r.toString());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("jkvm: guest triple-faulted (KVM_EXIT_SHUTDOWN): RIP="), r.err());
    }

    @Test
    void haltingWithInterruptsOnIsNotAClean(@TempDir Path dir) throws Exception {
        Path bin = flat(dir, "sti.bin", 0xfb, 0xf4);   // sti ; hlt
        Cli.Result r = Cli.run("run", TIMEOUT, bin.toString());
        assertEquals(ExitCodes.HALTED_WITH_INTERRUPTS_ENABLED, r.status(), r.toString());
        assertTrue(r.err().contains("halted with interrupts enabled"), r.err());
    }

    @Test
    void aGuestThatNeverEndsIsStoppedByTheTimeout(@TempDir Path dir) throws Exception {
        Path bin = flat(dir, "spin.bin", 0xeb, 0xfe);   // jmp $
        long t0 = System.nanoTime();
        Cli.Result r = Cli.run("run", "--timeout=300ms", bin.toString());
        assertEquals(ExitCodes.TIMEOUT, r.status(), r.toString());
        assertEquals(List.of("jkvm: guest still running after 300 ms: stopped"), r.errLines());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60), "stopped promptly");
    }

    @Test
    void aFlatBinaryCanLoadElsewhereWithAnExplicitEntry(@TempDir Path dir) throws Exception {
        // at 0x10000, entered at 1000:0000: mov al, 9 ; out 0xf4, al ; hlt
        Path bin = flat(dir, "far.bin", 0xb0, 0x09, 0xe6, 0xf4, 0xf4);
        Cli.Result r = Cli.run("run", TIMEOUT, "--load-address=0x10000", "--entry=1000:0000", bin.toString());
        assertEquals(9, r.status(), r.toString());
    }

    @Test
    void aCorruptImageIsRefusedInOneLine(@TempDir Path dir) throws Exception {
        byte[] hello = Files.readAllBytes(TestGuests.image("hello.elf"));
        Path cut = dir.resolve("cut.elf");
        Files.write(cut, java.util.Arrays.copyOf(hello, 40));
        Cli.Result r = Cli.run("run", cut.toString());
        assertEquals(ExitCodes.CANNOT_START, r.status(), r.toString());
        assertEquals(List.of("jkvm: " + cut + ": truncated ELF header (needs bytes [0x0, +0x34) of a 40-byte file)"),
                r.errLines());
    }
}
