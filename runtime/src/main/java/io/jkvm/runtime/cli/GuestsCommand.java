package io.jkvm.runtime.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code jkvm guests}: the built-in guests, one a line: name, kind, image path, description. */
@Command(name = "guests", mixinStandardHelpOptions = true,
        description = "Lists the built-in guests (guests/target/images/guests.index), one a line: "
                + "name, kind (compute|system), image file, description.")
final class GuestsCommand implements Callable<Integer> {
    private final PrintWriter out;
    private final PrintWriter err;

    @Option(names = "--guests-dir", paramLabel = "DIR",
            description = "Directory of the guest images and guests.index (default: guests/target/images).")
    Path guestsDir;

    GuestsCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        Optional<Path> dir = GuestIndex.locate(guestsDir);
        if (dir.isEmpty()) {
            err.println("jkvm: no guest images found: build them with ./mvnw -q -B -DskipTests package, or give "
                    + "--guests-dir");
            return ExitCodes.CANNOT_START;
        }
        GuestIndex index;
        try {
            index = GuestIndex.read(dir.get());
        } catch (IOException e) {
            err.println("jkvm: " + e.getMessage());
            return ExitCodes.CANNOT_START;
        }
        int nameWidth = index.guests().stream().mapToInt(g -> g.name().length()).max().orElse(4);
        int pathWidth = index.guests().stream().mapToInt(g -> g.path().toString().length()).max().orElse(4);
        for (GuestIndex.Guest g : index.guests()) {
            out.println(String.format("%-" + nameWidth + "s  %-7s  %-" + pathWidth + "s  %s", g.name(), g.kind(),
                    g.path(), g.description()));
        }
        out.flush();
        return 0;
    }
}
