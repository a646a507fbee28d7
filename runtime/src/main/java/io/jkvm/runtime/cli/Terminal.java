package io.jkvm.runtime.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The command's standard streams: guest serial output and listings go to {@code out}, messages and statistics to
 * {@code err}, guest serial input comes from {@code in}. The process's own streams in {@link JkvmCommand#main}, byte
 * arrays in tests.
 */
public record Terminal(InputStream in, OutputStream out, OutputStream err) {

    /** The process's stdin, stdout and stderr, unbuffered (the UART flushes per line, messages per line). */
    static Terminal system() {
        return new Terminal(new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out),
                new FileOutputStream(FileDescriptor.err));
    }

    PrintWriter outWriter() {
        return new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true);
    }

    PrintWriter errWriter() {
        return new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
    }
}
