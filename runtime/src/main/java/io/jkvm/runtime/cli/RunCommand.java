package io.jkvm.runtime.cli;

import io.jkvm.abi.KvmException;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.GuestLayout;
import io.jkvm.runtime.loader.EntryState;
import io.jkvm.runtime.loader.Image;
import io.jkvm.runtime.loader.ImageLoader;
import io.jkvm.runtime.loader.LoaderException;
import io.jkvm.runtime.loader.Sizes;
import io.jkvm.runtime.vmm.GuestRunner;
import io.jkvm.runtime.vmm.Json;
import io.jkvm.runtime.vmm.Outcome;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code jkvm run}: boots one guest, copies its serial output to stdout and exits with its status (see
 * {@link ExitCodes}). The work is {@link GuestRunner}'s; this class parses, resolves the guest, prints and maps the
 * outcome to a status.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Boots IMAGE (a file) or GUEST (a name from 'jkvm guests') and runs it to the end. Serial "
                + "output (16550 at 0x3f8) goes to stdout, stdin feeds its input. The guest command line is "
                + "'GUEST ARGS...' for a guest name and 'IMAGE ARGS...' for a file, as QEMU's multiboot loader "
                + "gives it.",
        footer = {"", "Exit status:",
                "  0    the guest halted with interrupts off, or exited with status 0",
                "  N    the guest wrote N to the debug-exit port 0xf4 (passed through unchanged)",
                "  2    command-line usage error",
                "  121  the guest asked for a reset or reported a crash",
                "  122  the guest halted with interrupts on (nothing can wake it)",
                "  123  internal error (KVM_EXIT_INTERNAL_ERROR, failed entry, unhandled exit,",
                "       backend failure)",
                "  124  stopped by --timeout",
                "  125  jkvm could not start the guest (unknown guest, bad image, backend",
                "       unavailable)",
                "  126  the guest triple-faulted (KVM_EXIT_SHUTDOWN)",
                "jkvm's own statuses come with a one-line 'jkvm: ...' message on stderr."})
final class RunCommand implements Callable<Integer> {
    private final Terminal terminal;
    private final PrintWriter out;
    private final PrintWriter err;

    @Option(names = "--backend", paramLabel = "jit|hardware", defaultValue = "jit",
            converter = BackendConverter.class, description = "Backend (default: ${DEFAULT-VALUE}).")
    Backend backend;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", defaultValue = "256M", converter = MemoryConverter.class,
            description = "Guest RAM, e.g. 64M, 1G (default: ${DEFAULT-VALUE}; 2M to 3G).")
    long memory;

    @Option(names = "--stats", description = "Print statistics on stderr after the run.")
    boolean stats;

    @Option(names = "--stats-json", paramLabel = "FILE", description = "Write the statistics as JSON to FILE.")
    Path statsJson;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Stop the guest after DURATION (e.g. 30s, 500ms, 2m); exit status 124.")
    Duration timeout;

    @Option(names = "--boot", paramLabel = "auto|multiboot|long|flat", defaultValue = "auto",
            converter = ProtocolConverter.class,
            description = "How to start the image (default: auto = ELF64 or JKVM note: long mode; other ELF32 or "
                    + "a.out kludge: multiboot; anything else: flat real mode).")
    ImageLoader.Protocol boot;

    @Option(names = "--load-address", paramLabel = "ADDRESS", converter = AddressConverter.class,
            description = "Where a flat binary is loaded (default: 0x7c00).")
    Long loadAddress;

    @Option(names = "--entry", paramLabel = "CS:IP", converter = RealModeEntryConverter.class,
            description = "Real-mode entry of a flat binary, hex (default: 0000:7c00 for the default load address).")
    EntryState.RealMode entry;

    @Option(names = "--guests-dir", paramLabel = "DIR",
            description = "Directory of the guest images and guests.index (default: guests/target/images).")
    Path guestsDir;

    @Option(names = "--debug", description = "Print the stack trace of internal errors.")
    boolean debug;

    @Parameters(index = "0", paramLabel = "IMAGE-or-GUEST", description = "An image file or a built-in guest name.")
    String target;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Guest arguments (appended to its command line).")
    List<String> guestArgs = new ArrayList<>();

    RunCommand(Terminal terminal, PrintWriter out, PrintWriter err) {
        this.terminal = terminal;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        try {
            return runGuest();
        } catch (RuntimeException | Error e) {
            // a backend or jkvm bug (or an incomplete build: LinkageError): one line, the trace only on request
            err.println("jkvm: internal error: " + oneLine(String.valueOf(e))
                    + (debug ? "" : " (run with --debug for the stack trace)"));
            if (debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return ExitCodes.INTERNAL_ERROR;
        }
    }

    private int runGuest() {
        for (String a : guestArgs) {
            if (a.isEmpty() || a.chars().anyMatch(c -> c == ' ' || c == '\t' || c == '\n' || c == 0)) {
                return fail(ExitCodes.CANNOT_START, "guest argument '" + a + "' is empty or contains whitespace; the "
                        + "multiboot command line is split at spaces");
            }
        }
        Resolved resolved;
        try {
            resolved = resolve();
        } catch (IOException e) {
            return fail(ExitCodes.CANNOT_START, e.getMessage());
        }
        String unavailable = unavailableReason(backend);
        if (unavailable != null) {
            return fail(ExitCodes.CANNOT_START, "the " + backend.cliName() + " backend is unavailable: " + unavailable);
        }

        GuestRunner.Builder builder = GuestRunner.builder().backend(backend).memory(memory).protocol(boot)
                .timeout(timeout).serialInput(terminal.in()).serialOutput(terminal.out());
        if (loadAddress != null) {
            builder.flatLoadAddress(loadAddress);
        }
        if (entry != null) {
            builder.flatEntry(entry);
        }
        GuestRunner.RunResult result;
        try {
            Image image = Image.read(resolved.path());
            result = builder.build().run(image, resolved.commandLine(), !guestArgs.isEmpty());
        } catch (LoaderException e) {
            return fail(ExitCodes.CANNOT_START, e.getMessage());
        } catch (KvmException e) {
            return fail(ExitCodes.INTERNAL_ERROR, e.getMessage());
        } catch (OutOfMemoryError e) {
            return fail(ExitCodes.CANNOT_START, "cannot allocate " + Sizes.format(memory) + " of guest RAM: "
                    + e.getMessage());
        }

        Outcome outcome = result.outcome();
        int status = statusOf(outcome);
        boolean clean = outcome instanceof Outcome.GuestExit
                || outcome instanceof Outcome.Halted h && !h.interruptsEnabled()
                || outcome instanceof Outcome.SystemEvent se && se.type() == 1;
        if (!clean) {
            err.println("jkvm: " + oneLine(outcome.describe()));
        }
        if (stats) {
            err.println(result.statistics().toText() + "\nexit status:         " + status);
        }
        if (statsJson != null) {
            Map<String, Object> json = new LinkedHashMap<>(result.statistics().toMap());
            json.put("exit_status", status);
            try {
                Files.writeString(statsJson, Json.write(json), StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("jkvm: cannot write statistics to " + statsJson + ": " + e.getMessage());
            }
        }
        err.flush();
        return status;
    }

    /** The exit status of an outcome, per {@link ExitCodes}. */
    static int statusOf(Outcome outcome) {
        return switch (outcome) {
            case Outcome.GuestExit g -> g.status();
            case Outcome.Halted h -> h.interruptsEnabled() ? ExitCodes.HALTED_WITH_INTERRUPTS_ENABLED : ExitCodes.HALTED;
            case Outcome.TripleFault t -> ExitCodes.TRIPLE_FAULT;
            case Outcome.SystemEvent s -> s.type() == 1 ? ExitCodes.HALTED : ExitCodes.SYSTEM_EVENT;
            case Outcome.TimedOut t -> ExitCodes.TIMEOUT;
            case Outcome.InternalError e -> ExitCodes.INTERNAL_ERROR;
            case Outcome.EntryFailed e -> ExitCodes.INTERNAL_ERROR;
            case Outcome.Unhandled u -> ExitCodes.INTERNAL_ERROR;
            case Outcome.BackendFailure b -> ExitCodes.INTERNAL_ERROR;
        };
    }

    /** Why {@code backend} cannot run here, or null; a backend whose implementation is missing says so too. */
    static String unavailableReason(Backend backend) {
        try {
            return backend.unavailableReason();
        } catch (IllegalStateException | LinkageError e) {
            return e.getMessage();
        }
    }

    private record Resolved(Path path, String commandLine) {
    }

    /**
     * A bare name in the guest index is that guest, with command line "NAME ARGS"; anything else is a file, with
     * command line "PATH ARGS" (QEMU's multiboot form; the path is dropped if it holds whitespace, which the guest
     * would split).
     */
    private Resolved resolve() throws IOException {
        Optional<Path> dir = GuestIndex.locate(guestsDir);
        if (!target.contains("/") && dir.isPresent() && Files.isRegularFile(dir.get().resolve(GuestIndex.INDEX))) {
            GuestIndex index = GuestIndex.read(dir.get());
            Optional<GuestIndex.Guest> guest = index.find(target);
            if (guest.isPresent()) {
                Path path = guest.get().path();
                if (!Files.isRegularFile(path)) {
                    throw new IOException("guest '" + target + "' is in the index but its image " + path
                            + " is missing (rebuild the guests)");
                }
                return new Resolved(path, commandLine(target));
            }
            if (!Files.exists(Path.of(target))) {
                throw new IOException("unknown guest '" + target + "' and no such file (guests: "
                        + String.join(", ", index.names()) + ")");
            }
        }
        Path file = Path.of(target);
        if (!Files.exists(file)) {
            throw new IOException(dir.isPresent() || target.contains("/")
                    ? "no such file: " + target
                    : "'" + target + "' is not a file, and no guest index was found to look it up (build the "
                    + "guests: ./mvnw -q -B -DskipTests package)");
        }
        String word = file.toString();
        return new Resolved(file, word.chars().anyMatch(Character::isWhitespace)
                ? String.join(" ", guestArgs) : commandLine(word));
    }

    private String commandLine(String first) {
        List<String> words = new ArrayList<>();
        words.add(first);
        words.addAll(guestArgs);
        return String.join(" ", words);
    }

    private int fail(int status, String message) {
        err.println("jkvm: " + oneLine(message));
        err.flush();
        return status;
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    // ---------------------------------------------------------------- converters

    static final class BackendConverter implements CommandLine.ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            try {
                return Backend.fromName(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class MemoryConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                long bytes = Sizes.parse(value);
                GuestRunner.builder().memory(bytes);   // validates the range
                return bytes;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            try {
                Duration d;
                if (v.endsWith("ms")) {
                    d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                } else if (v.endsWith("s")) {
                    d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
                } else if (v.endsWith("m")) {
                    d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 60_000));
                } else {
                    d = Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
                }
                if (d.isNegative() || d.isZero()) {
                    throw new CommandLine.TypeConversionException("timeout must be positive: '" + value + "'");
                }
                return d;
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("invalid duration '" + value
                        + "' (use e.g. 30s, 500ms, 2m, or seconds)");
            }
        }
    }

    static final class ProtocolConverter implements CommandLine.ITypeConverter<ImageLoader.Protocol> {
        @Override
        public ImageLoader.Protocol convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "auto" -> ImageLoader.Protocol.AUTO;
                case "multiboot" -> ImageLoader.Protocol.MULTIBOOT;
                case "long", "long-mode", "elf64" -> ImageLoader.Protocol.LONG_MODE;
                case "flat" -> ImageLoader.Protocol.FLAT;
                default -> throw new CommandLine.TypeConversionException("unknown boot protocol '" + value
                        + "': use auto, multiboot, long or flat");
            };
        }
    }

    static final class AddressConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                long a = value.toLowerCase(Locale.ROOT).startsWith("0x")
                        ? Long.parseUnsignedLong(value.substring(2), 16) : Long.parseLong(value);
                if (a < 0 || a >= GuestLayout.RAM_MAX_SIZE) {
                    throw new CommandLine.TypeConversionException("address " + value + " is outside the RAM range");
                }
                return a;
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("invalid address '" + value + "' (use e.g. 0x7c00)");
            }
        }
    }

    static final class RealModeEntryConverter implements CommandLine.ITypeConverter<EntryState.RealMode> {
        @Override
        public EntryState.RealMode convert(String value) {
            String[] parts = value.split(":", -1);
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                int cs = Integer.parseInt(parts[0].replaceFirst("^0[xX]", ""), 16);
                int ip = Integer.parseInt(parts[1].replaceFirst("^0[xX]", ""), 16);
                if (cs > 0xffff || ip > 0xffff || cs < 0 || ip < 0) {
                    throw new NumberFormatException();
                }
                return new EntryState.RealMode(cs, ip, ip);
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("invalid real-mode entry '" + value
                        + "' (use CS:IP in hex, e.g. 0000:7c00)");
            }
        }
    }
}
