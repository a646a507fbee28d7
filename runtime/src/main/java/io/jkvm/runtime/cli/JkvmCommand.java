package io.jkvm.runtime.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code jkvm}: runs x86 guests on jkvm's backends. Subcommands: {@code run} ({@link RunCommand}) and
 * {@code guests} ({@link GuestsCommand}). {@link #main} is the only place in jkvm that exits the process; everything
 * else returns a status.
 */
@Command(name = "jkvm", mixinStandardHelpOptions = true, versionProvider = JkvmCommand.Version.class,
        description = "Runs x86 guests through a KVM-style API, on the JIT (x86 to JVM bytecode) or /dev/kvm.",
        synopsisSubcommandLabel = "COMMAND")
public final class JkvmCommand implements Runnable {
    private final PrintWriter err;

    JkvmCommand(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void run() {
        err.println("jkvm: missing command: use 'jkvm run IMAGE-or-GUEST' or 'jkvm guests' (see jkvm --help)");
    }

    /** The command line over {@code terminal}: jkvm's subcommands, picocli's streams set to the terminal's. */
    public static CommandLine commandLine(Terminal terminal) {
        PrintWriter out = terminal.outWriter();
        PrintWriter err = terminal.errWriter();
        CommandLine cl = new CommandLine(new JkvmCommand(err));
        cl.addSubcommand("run", new CommandLine(new RunCommand(terminal, out, err)).setStopAtPositional(true));
        cl.addSubcommand("guests", new GuestsCommand(out, err));
        cl.addSubcommand("train", new TrainCommand(err));
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionStrategy(parseResult -> {
            if (!parseResult.hasSubcommand() && !parseResult.isUsageHelpRequested()
                    && !parseResult.isVersionHelpRequested()) {
                new JkvmCommand(err).run();
                return ExitCodes.USAGE;
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        return cl;
    }

    /** Runs jkvm with {@code args} on {@code terminal}; returns the exit status. */
    public static int execute(Terminal terminal, String... args) {
        return commandLine(terminal).execute(args);
    }

    public static void main(String[] args) {
        int status = execute(Terminal.system(), args);
        System.exit(status);
    }

    /** The version from the jar manifest, or "development build" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = JkvmCommand.class.getPackage().getImplementationVersion();
            return new String[] {"jkvm " + (v != null ? v : "(development build)"),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
