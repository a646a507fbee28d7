package io.jkvm.runtime.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What {@code /proc/self} says about this process's open files and mappings, for leak checks. */
final class ProcSelf {
    private ProcSelf() {
    }

    /** The number of open file descriptors (the directory listing's own fd included, consistently). */
    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** What each open fd points at, for failure messages. */
    static List<String> fdTargets() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                try {
                    out.add(p.getFileName() + "->" + Files.readSymbolicLink(p));
                } catch (IOException e) {
                    out.add(p.getFileName() + "->?");
                }
            }
        }
        return out;
    }

    /** The number of mappings whose name contains {@code name} (e.g. {@code kvm-vcpu} for vcpu run areas). */
    static long mappingsNamed(String name) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains(name)).count();
        }
    }
}
