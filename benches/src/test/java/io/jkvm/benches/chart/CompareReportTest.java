package io.jkvm.benches.chart;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompareReportTest {
    private static final List<String> RAW = List.of(
            "guest\tengine\trun\twall_s\tcpu_s",
            "a\tjit\t1\t2.0\t3.0", "a\tqemu\t1\t8.0\t7.0", "a\thardware\t1\t0.5\t0.4",
            "a\tjit\t2\t4.0\t5.0", "a\tqemu\t2\t6.0\t6.0", "a\thardware\t2\t0.5\t0.4",
            "a\tjit\t3\t3.0\t4.0", "a\tqemu\t3\t9.0\t9.0", "a\thardware\t3\t0.5\t0.4",
            "b\tjit\t1\t1.0\t1.0", "b\tqemu\t1\t4.0\t4.0", "b\thardware\t1\t0.25\t0.2");

    @Test
    void mediansRatiosAndGeometricMeansUseWallClockTime() {
        CompareReport.Comparison c = CompareReport.read(RAW);
        assertEquals(List.of("jit", "qemu", "hardware"), c.engines());
        assertEquals(3, c.runs());
        CompareReport.Row a = c.rows().getFirst();
        assertEquals(3.0, a.wall("jit"));
        assertEquals(4.0, a.cpu("jit"));
        assertEquals(8.0, a.wall("qemu"));
        // jit over QEMU: a 8/3, b 4/1 -> geometric mean sqrt(32/3)
        assertEquals(Math.sqrt(32.0 / 3), c.geomean("jit", "qemu"), 1e-12);
        // jit as a fraction of hardware: a 0.5/3, b 0.25/1
        assertEquals(Math.sqrt(0.5 / 3 * 0.25), c.geomean("jit", "hardware"), 1e-12);
        assertEquals("hardware", c.reference());
        assertEquals(2.0, CompareReport.median(new double[]{3, 1, 2}));
        assertEquals(2.5, CompareReport.median(new double[]{4, 1, 2, 3}));
    }

    @Test
    void withoutHardwareTheChartIsRelativeToQemuAndNoHardwareColumnsAppear() {
        CompareReport.Comparison c = CompareReport.read(RAW.stream().filter(l -> !l.contains("hardware")).toList());
        assertEquals("qemu", c.reference());
        String tsv = CompareReport.tsv(c);
        assertEquals("guest\tjit_wall_s\tqemu_wall_s\tjit_cpu_s\tqemu_cpu_s\tjit_speedup_over_qemu",
                tsv.lines().findFirst().orElseThrow());
        assertTrue(tsv.contains("\na\t3.000\t8.000\t4.000\t7.000\t2.6667\n"), tsv);
    }

    @Test
    void writesTablesAndBothChartFormats(@TempDir Path dir) throws Exception {
        Path raw = dir.resolve("raw.tsv");
        Files.write(raw, RAW);
        CompareReport.main(new String[]{raw.toString(), dir.resolve("out").toString(), "test"});
        for (String f : List.of("results.tsv", "results.md", "compare.svg", "compare.png")) {
            assertTrue(Files.size(dir.resolve("out").resolve(f)) > 100, f);
        }
        assertTrue(Files.readString(dir.resolve("out/compare.svg")).contains("<svg"));
        String md = Files.readString(dir.resolve("out/results.md"));
        assertTrue(md.contains("| **geometric mean** |"), md);
    }
}
