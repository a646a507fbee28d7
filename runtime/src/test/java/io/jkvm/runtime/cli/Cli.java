package io.jkvm.runtime.cli;

import io.jkvm.runtime.Backend;
import io.jkvm.runtime.loader.TestGuests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs the jkvm command in-process with captured streams. */
final class Cli {
    record Result(int status, String out, String err) {
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }

        @Override
        public String toString() {
            return "status " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {
    }

    static Result run(String... args) {
        return runWithInput(new byte[0], args);
    }

    static Result runWithInput(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Terminal t = new Terminal(new ByteArrayInputStream(stdin), out, err);
        List<String> all = new ArrayList<>(List.of(args));
        // point the command at the images the guests module built (the pom sets the same property)
        System.setProperty(GuestIndex.PROPERTY, TestGuests.imagesDir().toString());
        int status = JkvmCommand.execute(t, all.toArray(String[]::new));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Why the JIT backend cannot run guests here, or null when it can. */
    static String jitUnavailable() {
        return RunCommand.unavailableReason(Backend.JIT);
    }
}
