package io.jkvm.benches.chart;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.LinkedHashSet;

/**
 * The report of {@code benches/compare}: reads the raw timings the script measured (one line per run), takes
 * medians, and writes the comparison as a text table (stdout), a TSV, a Markdown table and a grouped bar chart (SVG
 * and PNG, drawn with XChart).
 *
 * <p>Wall-clock seconds are the primary figure (what a user waits for); CPU seconds (user + system of the whole
 * process) are secondary: on a 2-core machine the JVM's compiler and GC threads run beside the guest, so a jit run
 * can use more CPU seconds than it takes. Speed is the inverse of time: "x of hardware" is
 * {@code hardware time / engine time}, "jit speed-up over QEMU" is {@code qemu time / jit time}. Geometric means
 * are taken over the guests that have both figures.
 *
 * <pre>
 * usage: CompareReport RAW.tsv OUTPUT-DIR [NOTE]
 *   RAW.tsv: header "guest engine run wall_s cpu_s", tab-separated; engines jit, hardware, qemu (any subset)
 *   writes OUTPUT-DIR/results.tsv, results.md, compare.svg, compare.png
 * </pre>
 */
public final class CompareReport {
    /** Engines in the order of the tables and the chart. */
    static final List<String> ENGINE_ORDER = List.of("jit", "qemu", "hardware");
    static final String GEOMEAN = "geo. mean";

    /** Medians of one guest: engine → {wall, cpu}. */
    record Row(String guest, Map<String, double[]> medians) {
        double wall(String engine) {
            double[] m = medians.get(engine);
            return m == null ? Double.NaN : m[0];
        }

        double cpu(String engine) {
            double[] m = medians.get(engine);
            return m == null ? Double.NaN : m[1];
        }
    }

    /** The whole comparison: guests in input order, engines present, runs per engine and guest. */
    record Comparison(List<Row> rows, List<String> engines, int runs) {
        boolean has(String engine) {
            return engines.contains(engine);
        }

        /** The engine the chart's speeds are relative to: hardware when measured, else QEMU TCG, else jit. */
        String reference() {
            return has("hardware") ? "hardware" : has("qemu") ? "qemu" : "jit";
        }

        /** {@code numerator time / denominator time} for a row (wall clock): the denominator's relative speed. */
        static double speedup(Row r, String of, String over) {
            return r.wall(over) / r.wall(of);
        }

        double geomean(String of, String over) {
            double s = 0;
            int n = 0;
            for (Row r : rows) {
                double v = speedup(r, of, over);
                if (Double.isFinite(v) && v > 0) {
                    s += Math.log(v);
                    n++;
                }
            }
            return n == 0 ? Double.NaN : Math.exp(s / n);
        }
    }

    /** A ratio column of the tables: the speed of {@code of} relative to {@code over}. */
    record Ratio(String header, String tsvName, String of, String over) {
    }

    private CompareReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: CompareReport RAW.tsv OUTPUT-DIR [NOTE]");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        Comparison c = read(Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8));
        Path out = Files.createDirectories(Path.of(args[1]));
        String note = args.length > 2 ? args[2] : "";
        System.out.print(text(c));
        Files.writeString(out.resolve("results.tsv"), tsv(c), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("results.md"), markdown(c, note), StandardCharsets.UTF_8);
        CategoryChart chart = chart(c, note);
        VectorGraphicsEncoder.saveVectorGraphic(chart, out.resolve("compare.svg").toString(),
                VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        BitmapEncoder.saveBitmap(chart, out.resolve("compare.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("wrote " + out.resolve("results.tsv") + ", results.md, compare.svg, compare.png");
    }

    // ------------------------------------------------------------------ input

    static Comparison read(List<String> lines) {
        if (lines.isEmpty() || !lines.getFirst().startsWith("guest\tengine\trun\twall_s\tcpu_s")) {
            throw new IllegalArgumentException("not a raw compare file (header guest engine run wall_s cpu_s)");
        }
        Map<String, Map<String, List<double[]>>> byGuest = new LinkedHashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length < 5) {
                throw new IllegalArgumentException("bad line: " + line);
            }
            seen.add(f[1]);
            byGuest.computeIfAbsent(f[0], g -> new LinkedHashMap<>()).computeIfAbsent(f[1], e -> new ArrayList<>())
                    .add(new double[]{Double.parseDouble(f[3]), Double.parseDouble(f[4])});
        }
        List<String> engines = new ArrayList<>(ENGINE_ORDER.stream().filter(seen::contains).toList());
        seen.stream().filter(e -> !engines.contains(e)).forEach(engines::add);
        List<Row> rows = new ArrayList<>();
        int runs = 0;
        for (Map.Entry<String, Map<String, List<double[]>>> g : byGuest.entrySet()) {
            Map<String, double[]> medians = new LinkedHashMap<>();
            for (Map.Entry<String, List<double[]>> e : g.getValue().entrySet()) {
                List<double[]> v = e.getValue();
                runs = Math.max(runs, v.size());
                medians.put(e.getKey(), new double[]{median(v.stream().mapToDouble(x -> x[0]).toArray()),
                        median(v.stream().mapToDouble(x -> x[1]).toArray())});
            }
            rows.add(new Row(g.getKey(), medians));
        }
        return new Comparison(rows, List.copyOf(engines), runs);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static List<Ratio> ratios(Comparison c) {
        List<Ratio> r = new ArrayList<>();
        if (c.has("qemu") && c.has("jit")) {
            r.add(new Ratio("jit speed-up over QEMU", "jit_speedup_over_qemu", "jit", "qemu"));
        }
        if (c.has("hardware")) {
            for (String e : c.engines()) {
                if (!e.equals("hardware")) {
                    r.add(new Ratio(label(e) + " speed / hardware", e + "_speed_of_hardware", e, "hardware"));
                }
            }
        }
        return r;
    }

    static String label(String engine) {
        return switch (engine) {
            case "jit" -> "jkvm jit";
            case "qemu" -> "QEMU TCG";
            case "hardware" -> "jkvm hardware (KVM)";
            default -> engine;
        };
    }

    // ------------------------------------------------------------------ tables

    static String text(Comparison c) {
        StringBuilder b = new StringBuilder();
        List<Ratio> ratios = ratios(c);
        b.append(String.format(Locale.ROOT, "%-12s", "guest"));
        for (String e : c.engines()) {
            b.append(String.format(Locale.ROOT, " %11s", e + " wall"));
        }
        for (String e : c.engines()) {
            b.append(String.format(Locale.ROOT, " %10s", e + " cpu"));
        }
        for (Ratio r : ratios) {
            b.append(String.format(Locale.ROOT, " %14s", r.of() + (r.over().equals("qemu") ? " vs qemu" : "/hw")));
        }
        b.append('\n');
        for (Row r : c.rows()) {
            b.append(String.format(Locale.ROOT, "%-12s", r.guest()));
            for (String e : c.engines()) {
                b.append(String.format(Locale.ROOT, " %10.2fs", r.wall(e)));
            }
            for (String e : c.engines()) {
                b.append(String.format(Locale.ROOT, " %9.2fs", r.cpu(e)));
            }
            for (Ratio x : ratios) {
                b.append(String.format(Locale.ROOT, " %13.3fx", Comparison.speedup(r, x.of(), x.over())));
            }
            b.append('\n');
        }
        if (!ratios.isEmpty()) {
            b.append(String.format(Locale.ROOT, "%-12s", GEOMEAN));
            b.append(" ".repeat(c.engines().size() * 23));
            for (Ratio x : ratios) {
                b.append(String.format(Locale.ROOT, " %13.3fx", c.geomean(x.of(), x.over())));
            }
            b.append('\n');
        }
        b.append("wall-clock and CPU seconds: medians of ").append(c.runs())
                .append(" runs per engine and guest, engines alternating run by run\n");
        return b.toString();
    }

    static String tsv(Comparison c) {
        StringBuilder b = new StringBuilder("guest");
        List<Ratio> ratios = ratios(c);
        for (String e : c.engines()) {
            b.append('\t').append(e).append("_wall_s");
        }
        for (String e : c.engines()) {
            b.append('\t').append(e).append("_cpu_s");
        }
        for (Ratio r : ratios) {
            b.append('\t').append(r.tsvName());
        }
        b.append('\n');
        for (Row r : c.rows()) {
            b.append(r.guest());
            for (String e : c.engines()) {
                b.append('\t').append(fmt(r.wall(e), 3));
            }
            for (String e : c.engines()) {
                b.append('\t').append(fmt(r.cpu(e), 3));
            }
            for (Ratio x : ratios) {
                b.append('\t').append(fmt(Comparison.speedup(r, x.of(), x.over()), 4));
            }
            b.append('\n');
        }
        b.append("geomean");
        b.append("\t".repeat(2 * c.engines().size()));
        for (Ratio x : ratios) {
            b.append('\t').append(fmt(c.geomean(x.of(), x.over()), 4));
        }
        b.append('\n');
        return b.toString();
    }

    static String markdown(Comparison c, String note) {
        List<Ratio> ratios = ratios(c);
        StringBuilder b = new StringBuilder("| guest |");
        for (String e : c.engines()) {
            b.append(' ').append(label(e)).append(" wall s |");
        }
        for (Ratio r : ratios) {
            b.append(' ').append(r.header()).append(" |");
        }
        for (String e : c.engines()) {
            b.append(' ').append(e).append(" CPU s |");
        }
        b.append("\n|---|");
        b.append("---:|".repeat(2 * c.engines().size() + ratios.size()));
        b.append('\n');
        for (Row r : c.rows()) {
            b.append("| ").append(r.guest()).append(" |");
            for (String e : c.engines()) {
                b.append(' ').append(fmt(r.wall(e), 2)).append(" |");
            }
            for (Ratio x : ratios) {
                b.append(' ').append(fmt(Comparison.speedup(r, x.of(), x.over()), 2)).append("x |");
            }
            for (String e : c.engines()) {
                b.append(' ').append(fmt(r.cpu(e), 2)).append(" |");
            }
            b.append('\n');
        }
        if (!ratios.isEmpty()) {
            b.append("| **geometric mean** |").append(" |".repeat(c.engines().size()));
            for (Ratio x : ratios) {
                b.append(" **").append(fmt(c.geomean(x.of(), x.over()), 2)).append("x** |");
            }
            b.append(" |".repeat(c.engines().size())).append('\n');
        }
        b.append("\nMedians of ").append(c.runs()).append(" runs per engine and guest (engines alternating run by run); ")
                .append("wall-clock seconds of the whole process, start-up included; CPU seconds = user + system.");
        if (!note.isBlank()) {
            b.append(' ').append(note);
        }
        b.append('\n');
        return b.toString();
    }

    private static String fmt(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "";
    }

    // ------------------------------------------------------------------ chart

    /**
     * One group of bars per guest (and one for the geometric mean): each engine's wall-clock speed relative to the
     * reference engine ({@link Comparison#reference()}), on a logarithmic axis since QEMU TCG and KVM differ by
     * orders of magnitude.
     */
    static CategoryChart chart(Comparison c, String note) {
        String ref = c.reference();
        CategoryChart chart = new CategoryChartBuilder().width(1200).height(560)
                .title("Wall-clock speed relative to " + label(ref) + " (median of " + c.runs()
                        + " runs, higher is faster)")
                .xAxisTitle(note.isBlank() ? "guest" : "guest — " + note)
                .yAxisTitle("speed relative to " + label(ref) + " (log scale)").build();
        var st = chart.getStyler();
        st.setYAxisLogarithmic(true);
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        st.setAvailableSpaceFill(0.8);
        st.setLabelsVisible(true);
        st.setLabelsRotation(90);
        st.setLabelsFontColorAutomaticEnabled(false);
        st.setLabelsFontColor(Color.DARK_GRAY);
        st.setLabelsPosition(1.0);
        st.setDecimalPattern("0.00");
        st.setYAxisDecimalPattern("0.###");
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotGridVerticalLinesVisible(false);
        Map<String, Color> colors = Map.of("jit", new Color(0x1f, 0x77, 0xb4), "qemu", new Color(0xff, 0x7f, 0x0e),
                "hardware", new Color(0x2c, 0xa0, 0x2c));
        List<String> categories = new ArrayList<>(c.rows().stream().map(Row::guest).toList());
        categories.add(GEOMEAN);
        double min = Double.MAX_VALUE;
        double max = 0;
        for (String e : c.engines()) {
            List<Double> values = new ArrayList<>();
            for (Row r : c.rows()) {
                values.add(Comparison.speedup(r, e, ref));
            }
            values.add(c.geomean(e, ref));
            for (double v : values) {
                if (Double.isFinite(v) && v > 0) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            var series = chart.addSeries(label(e), categories, values);
            Color color = colors.get(e);
            if (color != null) {
                series.setFillColor(color);
            }
        }
        // Whole decades around the data, with room above the tallest bar for its label.
        st.setYAxisMin(Math.pow(10, Math.floor(Math.log10(Math.min(min, 1)) - 0.05)));
        st.setYAxisMax(Math.pow(10, Math.ceil(Math.log10(Math.max(max, 1)) + 0.3)));
        return chart;
    }
}
