package io.jkvm.runtime.vmm;

import io.jkvm.runtime.devices.UnmappedAccesses;
import io.jkvm.runtime.loader.Sizes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What one guest run did and cost: exits by reason, device traffic, the unmapped ports and MMIO addresses the guest
 * touched (the explicit unmapped policy, made visible), times, and whatever the backend reports through
 * {@link BackendStatistics}. {@link #toMap()} is the JSON form ({@code --stats-json}), {@link #toText()} the summary
 * ({@code --stats}); both hold the same facts.
 *
 * @param exitsByReason       exits by {@code KVM_EXIT_*} name, in exit-reason order
 * @param pioByDevice         port accesses (items, so a {@code rep outsb} of 10 bytes is 10) per device
 * @param setupNanos          creating the VM, allocating RAM and loading the image
 * @param runNanos            from the first {@code KVM_RUN} to the end of the run loop
 * @param firstExitNanos      from the first {@code KVM_RUN} to its return; -1 if it never returned
 * @param guestInstructions   retired guest instructions, when the backend reports them
 * @param backend             the backend's own counters, in its order
 */
public record RunStatistics(String backendName, String image, String format, String entry, long memoryBytes,
                            String outcome, Map<String, Long> exitsByReason, Map<String, Long> pioByDevice,
                            List<UnmappedAccesses.Count> unmappedPorts, long unmappedPortsUntracked,
                            List<UnmappedAccesses.Count> unmappedMmio, long unmappedMmioUntracked,
                            long serialBytesOut, long serialBytesIn, long setupNanos, long runNanos, long wallNanos,
                            long firstExitNanos, OptionalLong guestInstructions, Map<String, Object> backend) {

    public RunStatistics {
        exitsByReason = copy(exitsByReason);
        pioByDevice = copy(pioByDevice);
        unmappedPorts = List.copyOf(unmappedPorts);
        unmappedMmio = List.copyOf(unmappedMmio);
        backend = copy(backend);
    }

    private static <V> Map<String, V> copy(Map<String, V> m) {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    public long totalExits() {
        return exitsByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The statistics as nested maps and lists, ready for {@link Json#write}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", backendName);
        m.put("image", image);
        m.put("format", format);
        m.put("entry", entry);
        m.put("memory_bytes", memoryBytes);
        m.put("outcome", outcome);
        m.put("exits_total", totalExits());
        m.put("exits_by_reason", exitsByReason);
        m.put("pio_accesses_by_device", pioByDevice);
        m.put("unmapped_ports", counts(unmappedPorts, "port"));
        m.put("unmapped_ports_untracked_accesses", unmappedPortsUntracked);
        m.put("unmapped_mmio", counts(unmappedMmio, "address"));
        m.put("unmapped_mmio_untracked_accesses", unmappedMmioUntracked);
        m.put("serial_bytes_out", serialBytesOut);
        m.put("serial_bytes_in", serialBytesIn);
        m.put("setup_nanos", setupNanos);
        m.put("run_nanos", runNanos);
        m.put("wall_nanos", wallNanos);
        m.put("first_exit_nanos", firstExitNanos < 0 ? null : firstExitNanos);
        m.put("guest_instructions", guestInstructions.isPresent() ? guestInstructions.getAsLong() : null);
        m.put("backend_statistics", backend);
        return m;
    }

    private static List<Object> counts(List<UnmappedAccesses.Count> counts, String key) {
        List<Object> list = new ArrayList<>();
        for (UnmappedAccesses.Count c : counts) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put(key, "0x" + Long.toHexString(c.address()));
            e.put("reads", c.reads());
            e.put("writes", c.writes());
            list.add(e);
        }
        return list;
    }

    /** The human summary: one fact per line, no trailing newline. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        line(sb, "backend", backendName);
        line(sb, "image", image + " (" + format + ")");
        line(sb, "entry", entry);
        line(sb, "memory", Sizes.format(memoryBytes));
        line(sb, "outcome", outcome);
        StringBuilder exits = new StringBuilder().append(totalExits());
        if (!exitsByReason.isEmpty()) {
            exits.append(" (");
            String sep = "";
            for (Map.Entry<String, Long> e : exitsByReason.entrySet()) {
                exits.append(sep).append(e.getKey().replaceFirst("^KVM_EXIT_", "")).append(' ').append(e.getValue());
                sep = ", ";
            }
            exits.append(')');
        }
        line(sb, "exits", exits.toString());
        if (!pioByDevice.isEmpty()) {
            StringBuilder pio = new StringBuilder();
            String sep = "";
            for (Map.Entry<String, Long> e : pioByDevice.entrySet()) {
                pio.append(sep).append(e.getKey()).append(' ').append(e.getValue());
                sep = ", ";
            }
            line(sb, "port accesses", pio.toString());
        }
        line(sb, "unmapped ports", describe(unmappedPorts, unmappedPortsUntracked, 4));
        line(sb, "unmapped mmio", describe(unmappedMmio, unmappedMmioUntracked, 8));
        line(sb, "serial", serialBytesOut + " bytes out, " + serialBytesIn + " bytes in");
        line(sb, "guest instructions", guestInstructions.isPresent()
                ? String.format("%,d", guestInstructions.getAsLong()) : "not reported by the backend");
        line(sb, "wall time", millis(wallNanos) + " (setup " + millis(setupNanos) + ", run " + millis(runNanos)
                + (firstExitNanos >= 0 ? ", first exit after " + millis(firstExitNanos) : "") + ")");
        if (guestInstructions.isPresent() && runNanos > 0) {
            line(sb, "guest MIPS", String.format("%.1f", guestInstructions.getAsLong() * 1e3 / runNanos));
        }
        for (Map.Entry<String, Object> e : backend.entrySet()) {
            line(sb, "backend " + e.getKey().replace('_', ' '), format(e.getKey(), e.getValue()));
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    private static String describe(List<UnmappedAccesses.Count> counts, long untracked, int digits) {
        if (counts.isEmpty() && untracked == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        String sep = "";
        for (UnmappedAccesses.Count c : counts) {
            sb.append(sep).append(String.format("0x%0" + digits + "x", c.address())).append(" (")
                    .append(c.reads()).append(" reads, ").append(c.writes()).append(" writes)");
            sep = ", ";
        }
        if (untracked > 0) {
            sb.append(sep).append(untracked).append(" more accesses to other addresses");
        }
        return sb.append("; reads gave all ones, writes were ignored").toString();
    }

    private static String format(String key, Object value) {
        if (value instanceof Number n && key.endsWith("_nanos")) {
            return millis(n.longValue());
        }
        if (value instanceof Double d && key.endsWith("_rate")) {
            return String.format("%.1f%%", d * 100);
        }
        if (value instanceof Long || value instanceof Integer) {
            return String.format("%,d", ((Number) value).longValue());
        }
        return String.valueOf(value);
    }

    private static String millis(long nanos) {
        return String.format("%.3f ms", nanos / 1e6);
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(String.format("%-20s %s", key + ":", value)).append('\n');
    }
}
