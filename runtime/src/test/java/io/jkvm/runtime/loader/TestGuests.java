package io.jkvm.runtime.loader;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the built guest images are (guests/target/images), for tests of every runtime package. */
public final class TestGuests {
    private TestGuests() {
    }

    /** The images directory: system property {@code jkvm.guests.images} (set by the pom), else found from here. */
    public static Path imagesDir() {
        String p = System.getProperty("jkvm.guests.images");
        if (p != null) {
            return Path.of(p);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("guests/target/images");
            if (Files.isRegularFile(candidate.resolve("guests.index"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("guest images not found: build the guests module (make -C guests)");
    }

    public static Path image(String fileName) {
        Path p = imagesDir().resolve(fileName);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("guest image " + p + " is missing: build the guests module");
        }
        return p;
    }
}
