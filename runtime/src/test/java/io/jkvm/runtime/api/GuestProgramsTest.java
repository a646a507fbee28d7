package io.jkvm.runtime.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each guest program's bytes are what GNU {@code as} makes of its listed source (skipped without binutils). */
class GuestProgramsTest {

    private static String exec(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, command.getFirst() + " is not installed (binutils): " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(command + " timed out");
        }
        assertEquals(0, p.exitValue(), command + ": " + out);
        return out;
    }

    @Test
    void bytesMatchTheirAssemblySource(@TempDir Path dir) throws Exception {
        for (GuestPrograms.Program program : GuestPrograms.ALL) {
            Path src = dir.resolve(program.name() + ".s");
            Files.writeString(src, ".intel_syntax noprefix\n.code" + program.bits() + "\n" + program.source());
            exec(dir, List.of("as", "--64", "-o", program.name() + ".o", src.toString()));
            exec(dir, List.of("objcopy", "-O", "binary", "-j", ".text", program.name() + ".o",
                    program.name() + ".bin"));
            byte[] assembled = Files.readAllBytes(dir.resolve(program.name() + ".bin"));
            assertArrayEquals(assembled, program.code(), () -> program.name() + ": as gives "
                    + HexFormat.of().formatHex(assembled) + ", the test loads "
                    + HexFormat.of().formatHex(program.code()));
        }
    }
}
