package io.jkvm.runtime.loader;

import java.util.Locale;

/** Byte sizes in messages ("256 MiB") and on the command line ("256M", "1G", "512MiB", "65536"). */
public final class Sizes {
    private Sizes() {
    }

    /** {@code bytes} in the largest binary unit that divides it, else in bytes. */
    public static String format(long bytes) {
        String[] units = {"GiB", "MiB", "KiB"};
        int[] shifts = {30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0) {
                return (bytes >> shifts[i]) + " " + units[i];
            }
        }
        return bytes + " bytes";
    }

    /**
     * Parses a size: a decimal number with an optional binary suffix K, M, G (also KB/KiB, MB/MiB, GB/GiB, any
     * case; all mean powers of 1024). Fails with a message naming the text.
     */
    public static long parse(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        int shift = 0;
        for (String[] unit : new String[][] {{"KIB", "10"}, {"MIB", "20"}, {"GIB", "30"}, {"KB", "10"},
                {"MB", "20"}, {"GB", "30"}, {"K", "10"}, {"M", "20"}, {"G", "30"}, {"B", "0"}}) {
            if (t.endsWith(unit[0])) {
                shift = Integer.parseInt(unit[1]);
                t = t.substring(0, t.length() - unit[0].length()).trim();
                break;
            }
        }
        if (t.isEmpty() || !t.chars().allMatch(Character::isDigit) || t.length() > 18) {
            throw new IllegalArgumentException("invalid size '" + text + "' (use e.g. 256M, 1G, 65536)");
        }
        long n = Long.parseLong(t);
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        return n << shift;
    }
}
