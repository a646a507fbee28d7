package io.jkvm.translator.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Random byte sequences, decoded by jkvm and by GNU objdump: for every sequence objdump accepts, the length and
 * the mnemonic (with the condition code) must agree, or the difference must be one of the explained cases of
 * {@link OracleComparison.Explanation}, each verified on the bytes (and, for #UD claims, on the host CPU).
 *
 * <p>The default run uses 20,000 sequences per mode; {@code -Djkvm.decoder.sweep=100000} runs the full sweep
 * (and {@code -Djkvm.decoder.seed=N} another seed). The summary line per mode goes to the test output.
 */
class ObjdumpSweepTest {
    private static final int BATCH = 25_000;

    @TempDir
    static Path dir;

    @BeforeAll
    static void needsObjdump() {
        assumeTrue(ObjdumpOracle.available(), "GNU objdump is not on the PATH: install binutils to run the"
                + " decoder's objdump oracle tests");
    }

    @ParameterizedTest
    @EnumSource(CodeSize.class)
    void agreesWithObjdumpOnEveryAcceptedSequence(CodeSize mode) {
        int count = Integer.getInteger("jkvm.decoder.sweep", 20_000);
        long seed = Long.getLong("jkvm.decoder.seed", 0x6a6b766dL) + mode.ordinal();
        List<byte[]> all = RandomInstructions.generate(mode, count, seed);

        OracleComparison.Report total = new OracleComparison.Report(mode);
        for (int from = 0; from < count; from += BATCH) {
            List<byte[]> batch = new ArrayList<>(all.subList(from, Math.min(count, from + BATCH)));
            OracleComparison.Report r = OracleComparison.compare(batch, mode,
                    ObjdumpOracle.disassemble(batch, mode, dir));
            total.merge(r);
        }
        System.out.println(total.summary());
        // The sweep means something only if objdump accepted most sequences and they covered the maps.
        assertTrue(total.accepted() > count / 2, "objdump accepted too few sequences: " + total.summary());
        assertEquals(0, total.count(OracleComparison.Verdict.DISAGREE),
                () -> total.summary() + "\n" + total.disagreementDigest(40, 3));
    }
}
