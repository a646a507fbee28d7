package io.jkvm.runtime.cli;

import io.jkvm.runtime.loader.Image;
import io.jkvm.runtime.vmm.GuestRunner;
import io.jkvm.runtime.vmm.Outcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code jkvm train} (hidden): runs every built-in compute guest once at size {@code small} in this JVM, output
 * discarded. It is the training run of the build's AOT cache ({@code JKVM_AOT_RECORD=1 bin/jkvm train}, see
 * {@code bin/jkvm}): the cache then holds the classes jkvm loads and links and the method profiles of the
 * translator, so that later runs skip class loading and reach compiled translator code sooner. Compute guests are
 * the workload because their code covers the integer, string and SSE emitters a user's guest meets first.
 */
@Command(name = "train", hidden = true, mixinStandardHelpOptions = true,
        description = "Runs every compute guest at size small (the AOT cache's training run).")
final class TrainCommand implements Callable<Integer> {
    private final PrintWriter err;

    @Option(names = "--guests-dir", paramLabel = "DIR",
            description = "Directory of the guest images and guests.index (default: guests/target/images).")
    Path guestsDir;

    TrainCommand(PrintWriter err) {
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        Optional<Path> dir = GuestIndex.locate(guestsDir);
        if (dir.isEmpty()) {
            err.println("jkvm train: no guest images found: build them with ./mvnw -q -B -DskipTests package");
            return ExitCodes.CANNOT_START;
        }
        int failed = 0;
        int ran = 0;
        for (GuestIndex.Guest g : GuestIndex.read(dir.get()).guests()) {
            if (!g.kind().equals("compute")) {
                continue;
            }
            GuestRunner.RunResult r = GuestRunner.builder().build().run(Image.read(g.path()), "small", true);
            ran++;
            if (!(r.outcome() instanceof Outcome.GuestExit e) || e.status() != 0) {
                err.println("jkvm train: " + g.name() + " small: " + r.outcome().describe());
                failed++;
            }
        }
        err.println("jkvm train: " + ran + " compute guests run, " + failed + " failed");
        err.flush();
        return failed == 0 ? 0 : ExitCodes.INTERNAL_ERROR;
    }
}
