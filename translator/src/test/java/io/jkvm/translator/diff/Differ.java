package io.jkvm.translator.diff;

import io.jkvm.translator.decoder.Rflags;

import java.util.ArrayList;
import java.util.List;

/** Compares two outcomes item by item: how the case ended, RIP, GPRs, RFLAGS, MXCSR, XMM, scratch memory. */
final class Differ {
    /** The RFLAGS bits compared: the arithmetic flags, DF and AC (RF, TF and IF belong to the harnesses). */
    static final int COMPARED_FLAGS = Rflags.OSZAPC | Rflags.DF | 1 << 18;

    /** One difference; {@code kind} groups differences into classes (gpr, flag name, mem, xmm, mxcsr, end). */
    record Item(String kind, String what, String host, String jit) {
        @Override
        public String toString() {
            return what + ": host " + host + ", jit " + jit;
        }
    }

    /** Extra masks for undefined results found by {@link UndefinedBehaviour}. */
    record Mask(int flags, int gprs) {
        static final Mask NONE = new Mask(0, 0);

        Mask or(Mask o) {
            return new Mask(flags | o.flags, gprs | o.gprs);
        }
    }

    private Differ() {
    }

    static List<Item> compare(Outcome host, Outcome jit, Mask undefined) {
        List<Item> items = new ArrayList<>();
        if (host.vector != jit.vector) {
            items.add(new Item("end", "end", Outcome.vectorName(host.vector) + " (" + host.detail + ")",
                    Outcome.vectorName(jit.vector) + " (" + jit.detail + ")"));
        } else if (host.vector == 14 && (host.faultAddress != jit.faultAddress
                || (host.errorCode & 0x1f) != (jit.errorCode & 0x1f))) {
            items.add(new Item("end", "#PF", hex(host.faultAddress) + " error " + hex(host.errorCode),
                    hex(jit.faultAddress) + " error " + hex(jit.errorCode)));
        } else if ((host.vector == 13 || host.vector == 17) && host.errorCode != jit.errorCode) {
            items.add(new Item("end", "error code", hex(host.errorCode), hex(jit.errorCode)));
        }
        MachineState h = host.state;
        MachineState j = jit.state;
        if (h.rip != j.rip) {
            items.add(new Item("rip", "rip", hex(h.rip), hex(j.rip)));
        }
        for (int i = 0; i < 16; i++) {
            if ((undefined.gprs >>> i & 1) == 0 && h.gpr[i] != j.gpr[i]) {
                items.add(new Item("gpr", MachineState.GPR_NAMES[i], hex(h.gpr[i]), hex(j.gpr[i])));
            }
        }
        int compared = COMPARED_FLAGS & ~undefined.flags;
        long fd = (h.rflags ^ j.rflags) & compared;
        for (int bit = 0; bit < 32; bit++) {
            if ((fd >>> bit & 1) != 0) {
                String name = flagName(bit);
                items.add(new Item("flag " + name, "RFLAGS." + name, Long.toString(h.rflags >>> bit & 1),
                        Long.toString(j.rflags >>> bit & 1)));
            }
        }
        if (h.mxcsr != j.mxcsr) {
            items.add(new Item("mxcsr", "mxcsr", hex(h.mxcsr), hex(j.mxcsr)));
        }
        for (int i = 0; i < 16; i++) {
            if (h.xmm[2 * i] != j.xmm[2 * i] || h.xmm[2 * i + 1] != j.xmm[2 * i + 1]) {
                items.add(new Item("xmm", "xmm" + i, String.format("%016x%016x", h.xmm[2 * i + 1], h.xmm[2 * i]),
                        String.format("%016x%016x", j.xmm[2 * i + 1], j.xmm[2 * i])));
            }
        }
        int first = java.util.Arrays.mismatch(h.scratch, j.scratch);
        if (first >= 0) {
            int count = 0;
            for (int k = first; k < h.scratch.length; k++) {
                count += h.scratch[k] != j.scratch[k] ? 1 : 0;
            }
            items.add(new Item("mem", String.format("byte [%x] (first of %d differing bytes)",
                    DiffLayout.SCRATCH + first, count), hex(h.scratch[first] & 0xff), hex(j.scratch[first] & 0xff)));
        }
        return items;
    }

    static String flagName(int bit) {
        return switch (bit) {
            case 0 -> "CF";
            case 2 -> "PF";
            case 4 -> "AF";
            case 6 -> "ZF";
            case 7 -> "SF";
            case 10 -> "DF";
            case 11 -> "OF";
            case 18 -> "AC";
            default -> "bit" + bit;
        };
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
