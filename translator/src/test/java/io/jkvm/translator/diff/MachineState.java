package io.jkvm.translator.diff;

import java.util.Arrays;

/** The user-visible state a differential case starts from or ends in. */
final class MachineState {
    static final String[] GPR_NAMES = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10",
            "r11", "r12", "r13", "r14", "r15"};

    /** RAX..R15 in x86 order. */
    final long[] gpr = new long[16];
    long rip;
    long rflags;
    int mxcsr;
    /** XMM0..XMM15, [2n] low and [2n+1] high quadword. */
    final long[] xmm = new long[32];
    /** The scratch area ({@link DiffLayout#SCRATCH}, {@link DiffLayout#SCRATCH_SIZE} bytes). */
    byte[] scratch = new byte[DiffLayout.SCRATCH_SIZE];

    MachineState copy() {
        MachineState s = new MachineState();
        System.arraycopy(gpr, 0, s.gpr, 0, 16);
        s.rip = rip;
        s.rflags = rflags;
        s.mxcsr = mxcsr;
        System.arraycopy(xmm, 0, s.xmm, 0, 32);
        s.scratch = scratch.clone();
        return s;
    }

    /** A multi-line dump; scratch bytes are shown only where they differ from {@code initial} (if given). */
    String describe(byte[] initial) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            b.append(String.format("%-3s=%016x%s", GPR_NAMES[i], gpr[i], i % 4 == 3 ? "\n" : "  "));
        }
        b.append(String.format("rip=%016x  rflags=%08x [%s]  mxcsr=%08x%n", rip, rflags, flagNames(rflags), mxcsr));
        for (int i = 0; i < 16; i++) {
            if (xmm[2 * i] != 0 || xmm[2 * i + 1] != 0) {
                b.append(String.format("xmm%-2d=%016x%016x%n", i, xmm[2 * i + 1], xmm[2 * i]));
            }
        }
        if (initial != null) {
            int shown = 0;
            for (int off = 0; off < scratch.length; off += 8) {
                if (!Arrays.equals(scratch, off, off + 8, initial, off, off + 8)) {
                    if (shown++ < 24) {
                        b.append(String.format("mem[%08x]=%016x (was %016x)%n", DiffLayout.SCRATCH + off,
                                le64(scratch, off), le64(initial, off)));
                    }
                }
            }
            if (shown > 24) {
                b.append("... ").append(shown - 24).append(" more changed quadwords\n");
            }
        }
        return b.toString();
    }

    static String flagNames(long f) {
        StringBuilder b = new StringBuilder();
        String[] names = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "TF", "IF", "DF", "OF"};
        for (int i = 0; i < names.length; i++) {
            if (!names[i].isEmpty() && (f >>> i & 1) != 0) {
                b.append(b.isEmpty() ? "" : " ").append(names[i]);
            }
        }
        if ((f & (1L << 18)) != 0) {
            b.append(" AC");
        }
        return b.toString();
    }

    static long le64(byte[] a, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (a[off + i] & 0xff);
        }
        return v;
    }

    static void putLe64(byte[] a, int off, long v) {
        for (int i = 0; i < 8; i++) {
            a[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
