package io.jkvm.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.guests.GuestCatalog;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.loader.TestGuests;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing, 'jkvm guests' and the error paths: none of these needs a backend that runs guests. */
class JkvmCommandTest {

    @Test
    void guestsListsEveryIndexEntryWithItsKindImagePathAndDescription() throws Exception {
        List<GuestCatalog.Guest> expected;
        try (InputStream in = Files.newInputStream(TestGuests.imagesDir().resolve("guests.index"))) {
            expected = GuestCatalog.parse(in);   // the guests module's own reader, as the oracle
        }
        Cli.Result r = Cli.run("guests");
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(expected.size(), lines.size(), r.out());
        for (int i = 0; i < expected.size(); i++) {
            GuestCatalog.Guest g = expected.get(i);
            String[] cols = lines.get(i).split(" {2,}", 4);
            assertEquals(g.name(), cols[0]);
            assertEquals(g.kind().name().toLowerCase(java.util.Locale.ROOT), cols[1]);
            Path path = Path.of(cols[2]);
            assertEquals(TestGuests.imagesDir().resolve(g.fileName()), path);
            assertTrue(Files.isRegularFile(path), path + " exists");
            assertEquals(g.description(), cols[3]);
        }
    }

    @Test
    void guestsWithAMissingDirectorySaysWhereItLooked(@TempDir Path dir) {
        Cli.Result r = Cli.run("guests", "--guests-dir", dir.toString());
        assertEquals(ExitCodes.CANNOT_START, r.status());
        assertEquals(List.of("jkvm: no guest index at " + dir.resolve("guests.index")
                + " (build the guests: ./mvnw -q -B -DskipTests package)"), r.errLines());
    }

    @Test
    void aMalformedIndexIsReportedWithItsLineNumber(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("guests.index"), "ok\tsystem\tok.elf\tfine\nbad\tweird\tb.elf\tx\n");
        Cli.Result r = Cli.run("guests", "--guests-dir", dir.toString());
        assertEquals(ExitCodes.CANNOT_START, r.status());
        assertEquals(List.of("jkvm: " + dir.resolve("guests.index") + " line 2: unknown kind 'weird'"), r.errLines());
    }

    @Test
    void noCommandIsAUsageError() {
        Cli.Result r = Cli.run();
        assertEquals(ExitCodes.USAGE, r.status());
        assertTrue(r.err().startsWith("jkvm: missing command"), r.err());
    }

    @Test
    void unknownOptionsAndBackendsAreUsageErrors() {
        Cli.Result r = Cli.run("run", "--backend", "qemu", "hello");
        assertEquals(ExitCodes.USAGE, r.status(), r.toString());
        assertTrue(r.err().contains("unknown backend 'qemu': use jit or hardware"), r.err());
        r = Cli.run("run", "--frobnicate", "hello");
        assertEquals(ExitCodes.USAGE, r.status(), r.toString());
        r = Cli.run("run");
        assertEquals(ExitCodes.USAGE, r.status(), r.toString());
        assertTrue(r.err().contains("IMAGE-or-GUEST"), r.err());
    }

    @Test
    void memorySizesAreParsedAndRangeChecked() {
        assertEquals(64L << 20, new RunCommand.MemoryConverter().convert("64M"));
        assertEquals(1L << 30, new RunCommand.MemoryConverter().convert("1GiB"));
        assertEquals(3L << 30, new RunCommand.MemoryConverter().convert("3g"));
        Cli.Result r = Cli.run("run", "--memory", "1M", "hello");
        assertEquals(ExitCodes.USAGE, r.status());
        assertTrue(r.err().contains("memory size 1 MiB is below the minimum of 2 MiB"), r.err());
        r = Cli.run("run", "--memory", "4G", "hello");
        assertTrue(r.err().contains("above the maximum of 3 GiB"), r.err());
        r = Cli.run("run", "--memory", "lots", "hello");
        assertTrue(r.err().contains("invalid size 'lots'"), r.err());
        r = Cli.run("run", "--memory", "10000", "hello");
        assertTrue(r.err().contains("not a multiple of 4 KiB"), r.err());
    }

    @Test
    void durationsAndRealModeEntriesAreParsed() {
        assertEquals(java.time.Duration.ofMillis(500), new RunCommand.DurationConverter().convert("500ms"));
        assertEquals(java.time.Duration.ofSeconds(30), new RunCommand.DurationConverter().convert("30s"));
        assertEquals(java.time.Duration.ofMinutes(2), new RunCommand.DurationConverter().convert("2m"));
        assertEquals(java.time.Duration.ofMillis(1500), new RunCommand.DurationConverter().convert("1.5"));
        assertEquals(0x7c0, new RunCommand.RealModeEntryConverter().convert("07c0:0000").cs());
        assertEquals(0x7c00, new RunCommand.RealModeEntryConverter().convert("0:0x7c00").ip());
        Cli.Result r = Cli.run("run", "--entry", "12345:0", "x.bin");
        assertEquals(ExitCodes.USAGE, r.status());
        assertTrue(r.err().contains("invalid real-mode entry '12345:0'"), r.err());
        r = Cli.run("run", "--timeout", "-1s", "hello");
        assertEquals(ExitCodes.USAGE, r.status());
    }

    @Test
    void hardwareBackendUnavailableIsOneLine() {
        String reason = RunCommand.unavailableReason(Backend.HARDWARE);
        assumeTrue(reason != null, "this host has a usable /dev/kvm: the unavailable path cannot be shown here");
        Cli.Result r = Cli.run("run", "--backend", "hardware", "hello");
        assertEquals(ExitCodes.CANNOT_START, r.status());
        assertEquals(List.of("jkvm: the hardware backend is unavailable: " + reason.replaceAll("\\s*\\R\\s*", " ")
                .trim()), r.errLines());
        assertEquals("", r.out());
    }

    @Test
    void unknownGuestsAndMissingFilesAreOneLineErrors() {
        Cli.Result r = Cli.run("run", "no-such-guest");
        assertEquals(ExitCodes.CANNOT_START, r.status(), r.toString());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("jkvm: unknown guest 'no-such-guest' and no such file (guests: hello, "),
                r.err());
        r = Cli.run("run", "/no/such/dir/kernel.elf");
        assertEquals(ExitCodes.CANNOT_START, r.status(), r.toString());
        assertEquals(List.of("jkvm: no such file: /no/such/dir/kernel.elf"), r.errLines());
        assertEquals("", r.out());
    }

    @Test
    void guestArgumentsWithWhitespaceAreRefused() {
        Cli.Result r = Cli.run("run", "hello", "a b");
        assertEquals(ExitCodes.CANNOT_START, r.status());
        assertEquals(List.of("jkvm: guest argument 'a b' is empty or contains whitespace; the multiboot command line "
                + "is split at spaces"), r.errLines());
    }

    @Test
    void optionsAfterTheImageBelongToTheGuest() {
        picocli.CommandLine cl = JkvmCommand.commandLine(new Terminal(InputStream.nullInputStream(),
                java.io.OutputStream.nullOutputStream(), java.io.OutputStream.nullOutputStream()));
        picocli.CommandLine.ParseResult p = cl.parseArgs("run", "--stats", "sha256", "--stats", "small", "x=1");
        RunCommand run = p.subcommand().commandSpec().commandLine().getCommand();
        assertTrue(run.stats);
        assertEquals("sha256", run.target);
        assertEquals(List.of("--stats", "small", "x=1"), run.guestArgs);
        assertEquals(Backend.JIT, run.backend, "jit is the default backend");
        assertEquals(256L << 20, run.memory);
    }

    @Test
    void outcomesMapToTheDocumentedStatuses() {
        assertEquals(42, RunCommand.statusOf(new io.jkvm.runtime.vmm.Outcome.GuestExit(42)));
        assertEquals(0, RunCommand.statusOf(new io.jkvm.runtime.vmm.Outcome.Halted(0, false)));
        assertEquals(122, RunCommand.statusOf(new io.jkvm.runtime.vmm.Outcome.Halted(0, true)));
        assertEquals(126, RunCommand.statusOf(new io.jkvm.runtime.vmm.Outcome.TripleFault("")));
        assertEquals(123, RunCommand.statusOf(new io.jkvm.runtime.vmm.Outcome.InternalError(1, List.of(), "")));
        assertEquals(124, RunCommand.statusOf(new io.jkvm.runtime.vmm.Outcome.TimedOut(java.time.Duration.ZERO)));
        assertEquals(0, RunCommand.statusOf(new io.jkvm.runtime.vmm.Outcome.SystemEvent(1)));
        assertEquals(121, RunCommand.statusOf(new io.jkvm.runtime.vmm.Outcome.SystemEvent(2)));
    }
}
