package io.jkvm.guests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The guests listed in {@code io/jkvm/guests/guests.index}: one line per guest,
 * {@code name<TAB>kind<TAB>file name<TAB>short description}. Images sit next to the index, in the jar or
 * in {@code guests/target/classes}.
 */
public final class GuestCatalog {

    /** Class-path folder of the images and the index. */
    public static final String RESOURCE_DIR = "io/jkvm/guests/";
    /** Name of the index file. */
    public static final String INDEX = "guests.index";

    /** What a guest is for. */
    public enum Kind {
        /** Self-checking workload: prints {@code PASS <name> <checksum>} or {@code FAIL ...}. */
        COMPUTE,
        /** Exercises one part of the machine (boot, port I/O, MMIO, MSRs, hypercalls, exceptions). */
        SYSTEM
    }

    /** One guest image. */
    public record Guest(String name, Kind kind, String fileName, String description) {

        /** True for multiboot ELF images ({@code .elf}); false for flat real-mode binaries. */
        public boolean isElf() {
            return fileName.endsWith(".elf");
        }

        /** The image bytes, from the class path. */
        public byte[] bytes() {
            try (InputStream in = open()) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read guest image " + fileName, e);
            }
        }

        /** Opens the image on the class path. */
        public InputStream open() throws IOException {
            InputStream in = GuestCatalog.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + fileName);
            if (in == null) {
                throw new IOException("guest image " + RESOURCE_DIR + fileName + " is not on the class path");
            }
            return in;
        }

        /** The image as a file, when the class path holds it as one (not inside a jar). */
        public Optional<Path> path() {
            URL url = GuestCatalog.class.getClassLoader().getResource(RESOURCE_DIR + fileName);
            if (url == null || !"file".equals(url.getProtocol())) {
                return Optional.empty();
            }
            try {
                return Optional.of(Path.of(url.toURI()));
            } catch (URISyntaxException e) {
                return Optional.empty();
            }
        }
    }

    private GuestCatalog() {
    }

    /** The guests of the index on the class path, in index order. */
    public static List<Guest> load() {
        try (InputStream in = GuestCatalog.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + INDEX)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE_DIR + INDEX + " is not on the class path (build the guests module)");
            }
            return parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE_DIR + INDEX, e);
        }
    }

    /** Parses index text; a malformed line is an error naming its line number. */
    public static List<Guest> parse(InputStream index) throws IOException {
        List<Guest> guests = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(index, StandardCharsets.UTF_8));
        int lineNumber = 0;
        for (String line; (line = reader.readLine()) != null; ) {
            lineNumber++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            if (fields.length != 4) {
                throw new IOException(INDEX + " line " + lineNumber + ": expected 4 tab-separated fields, got "
                        + fields.length);
            }
            Kind kind;
            try {
                kind = Kind.valueOf(fields[1].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IOException(INDEX + " line " + lineNumber + ": unknown kind '" + fields[1] + "'", e);
            }
            guests.add(new Guest(fields[0], kind, fields[2], fields[3]));
        }
        return List.copyOf(guests);
    }

    /** The guest called {@code name}. */
    public static Optional<Guest> find(String name) {
        return load().stream().filter(g -> g.name().equals(name)).findFirst();
    }
}
