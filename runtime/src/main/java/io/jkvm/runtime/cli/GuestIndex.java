package io.jkvm.runtime.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The built-in guests: {@code guests.index} in the images directory the guests module builds
 * ({@code guests/target/images}), one line per guest: {@code name<TAB>kind<TAB>file<TAB>description}, where kind is
 * {@code compute} or {@code system}. Same format as {@code io.jkvm.guests.GuestCatalog}, read here from the directory
 * so that the command can print each image's path.
 */
public final class GuestIndex {
    /** The index file name. */
    public static final String INDEX = "guests.index";
    /** System property naming the images directory ({@code bin/jkvm} and the pom set it). */
    public static final String PROPERTY = "jkvm.guests.images";
    /** Environment variable naming the images directory. */
    public static final String ENVIRONMENT = "JKVM_GUESTS_DIR";
    /** Where the guests module builds the images, relative to the repository root. */
    public static final String RELATIVE_DIR = "guests/target/images";

    /** One guest of the index. */
    public record Guest(String name, String kind, String fileName, String description, Path path) {
    }

    private final Path directory;
    private final List<Guest> guests;

    private GuestIndex(Path directory, List<Guest> guests) {
        this.directory = directory;
        this.guests = guests;
    }

    /**
     * The images directory: {@code explicit} if given, else the {@value #PROPERTY} property, the {@value #ENVIRONMENT}
     * variable, then {@value #RELATIVE_DIR} found upwards from where jkvm's classes are and from the working
     * directory. Empty when none of these holds a {@value #INDEX}.
     */
    public static Optional<Path> locate(Path explicit) {
        if (explicit != null) {
            return Optional.of(explicit);
        }
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return Optional.of(Path.of(property));
        }
        String env = System.getenv(ENVIRONMENT);
        if (env != null && !env.isBlank()) {
            return Optional.of(Path.of(env));
        }
        List<Path> starts = new ArrayList<>();
        try {
            var source = GuestIndex.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                starts.add(Path.of(source.getLocation().toURI()));
            }
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            // no usable code location: only the working directory is searched
        }
        starts.add(Path.of("").toAbsolutePath());
        for (Path start : starts) {
            for (Path d = start.toAbsolutePath(); d != null; d = d.getParent()) {
                Path candidate = d.resolve(RELATIVE_DIR);
                if (Files.isRegularFile(candidate.resolve(INDEX))) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** Reads {@code directory/guests.index}; a missing or malformed index is an {@link IOException} saying so. */
    public static GuestIndex read(Path directory) throws IOException {
        Path index = directory.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            throw new IOException("no guest index at " + index + " (build the guests: ./mvnw -q -B -DskipTests package)");
        }
        List<Guest> guests = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(index, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNumber++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                if (f.length != 4) {
                    throw new IOException(index + " line " + lineNumber + ": expected 4 tab-separated fields, got "
                            + f.length);
                }
                String kind = f[1].toLowerCase(Locale.ROOT);
                if (!kind.equals("compute") && !kind.equals("system")) {
                    throw new IOException(index + " line " + lineNumber + ": unknown kind '" + f[1] + "'");
                }
                if (f[2].contains("/") || f[2].isBlank()) {
                    throw new IOException(index + " line " + lineNumber + ": image file '" + f[2]
                            + "' must be a plain file name");
                }
                guests.add(new Guest(f[0], kind, f[2], f[3], directory.resolve(f[2])));
            }
        }
        return new GuestIndex(directory, List.copyOf(guests));
    }

    public Path directory() {
        return directory;
    }

    public List<Guest> guests() {
        return guests;
    }

    public Optional<Guest> find(String name) {
        return guests.stream().filter(g -> g.name().equals(name)).findFirst();
    }

    public List<String> names() {
        return guests.stream().map(Guest::name).toList();
    }
}
