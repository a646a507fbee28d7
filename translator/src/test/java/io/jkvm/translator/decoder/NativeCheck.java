package io.jkvm.translator.decoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Verifies "objdump accepts it, the CPU raises #UD" on the host CPU ({@link NativeCpu}), for the encodings where
 * running them is safe and meaningful: VEX/EVEX/XOP-escaped vector instructions and x87 register forms.
 */
final class NativeCheck {

    private NativeCheck() {
    }

    private static Boolean vvvvRule;
    private static Boolean pauseRexB;
    private static Boolean movCs;

    /** Whether the host raises #UD for MOV CS,EAX (8E C8). */
    static synchronized boolean movToCsRaisesUd() {
        if (movCs == null) {
            NativeCpu cpu = NativeCpu.get();
            movCs = cpu != null && cpu.run(List.of(java.util.HexFormat.of().parseHex("8ec8"))).getFirst()
                    == NativeCpu.Outcome.UD;
        }
        return movCs;
    }

    /** Whether F3 REX.WB 90 exchanges r8 and rax on the host (it runs {@code mov r8d,1; F3 49 90; div rax}). */
    static synchronized boolean pauseWithRexBExchanges() {
        if (pauseRexB == null) {
            NativeCpu cpu = NativeCpu.get();
            pauseRexB = cpu != null && cpu.run(List.of(java.util.HexFormat.of().parseHex("41b801000000f3499048f7f0")))
                    .getFirst() == NativeCpu.Outcome.RAN;
        }
        return pauseRexB;
    }

    /**
     * Whether the host confirms that a VEX/EVEX instruction without a vvvv operand raises #UD unless vvvv (and
     * EVEX.V') are all ones: VEX.128.66.0F.W0 6E (VMOVD xmm0,eax) and EVEX.512.66.0F38.W0 4C (VRCP14PS zmm0,zmm1)
     * must run as encoded canonically and raise #UD with vvvv = 1110b or V' = 0.
     */
    static synchronized boolean vvvvRuleHolds() {
        if (vvvvRule == null) {
            NativeCpu cpu = NativeCpu.get();
            if (cpu == null) {
                vvvvRule = false;
            } else {
                java.util.HexFormat h = java.util.HexFormat.of();
                List<NativeCpu.Outcome> o = cpu.run(List.of(h.parseHex("c5f96ec0"), h.parseHex("c5f16ec0"),
                        h.parseHex("62f27d484cc1"), h.parseHex("62f27d404cc1")));
                vvvvRule = o.get(0) == NativeCpu.Outcome.RAN && o.get(1) == NativeCpu.Outcome.UD
                        && o.get(2) == NativeCpu.Outcome.RAN && o.get(3) == NativeCpu.Outcome.UD;
            }
        }
        return vvvvRule;
    }

    static boolean raisesUd(byte[] bytes, CodeSize mode, ObjdumpSyntax.First first) {
        NativeCpu cpu = NativeCpu.get();
        if (cpu == null || first.length() < 1 || first.length() > bytes.length) {
            return false;
        }
        int p = OracleComparison.prefixEnd(bytes, mode);
        if (p + 2 >= bytes.length) {
            return false;
        }
        int escape = bytes[p] & 0xFF;
        int next = bytes[p + 1] & 0xFF;
        boolean vex = (escape == 0xC4 || escape == 0xC5 || escape == 0x62) && (mode == CodeSize.BITS64 || next >= 0xC0)
                || escape == 0x8F && (next & 0x1F) >= 8;
        boolean x87 = escape >= 0xD8 && escape <= 0xDF;
        if (!vex && !x87) {
            return false;
        }
        byte[] exact = Arrays.copyOf(bytes, first.length());
        if (vex && mode != CodeSize.BITS64) {
            // The host runs 64-bit code: clear the bits that are register extensions there but not in 16/32-bit
            // mode (R/X/B/R', vvvv bit 3, V'), so that it sees the same instruction.
            noExtensions(exact, p, escape);
        }
        if (cpu.run(List.of(exact)).getFirst() != NativeCpu.Outcome.UD) {
            return false;
        }
        if (x87) {
            return true; // every x86-64 CPU has the x87 unit: a #UD here is the encoding's
        }
        ObjdumpSyntax.Name name = ObjdumpSyntax.name(first.mnemonic(), first.operands(), bytes, mode);
        if (name == null) {
            return false;
        }
        List<byte[]> witnesses = new ArrayList<>();
        byte[] tail = Arrays.copyOfRange(bytes, p, bytes.length);
        if (mode != CodeSize.BITS64) {
            noExtensions(tail, 0, escape);
        }
        for (byte[] v : variants(tail, escape)) {
            try {
                Instruction i = Decoder.decode(v, 0, v.length, 0, CodeSize.BITS64);
                if (i.mnemonic() == name.mnemonic()) {
                    witnesses.add(Arrays.copyOf(v, i.length()));
                }
            } catch (DecodeException e) {
                // not a valid neighbour
            }
        }
        if (witnesses.isEmpty()) {
            return false;
        }
        for (NativeCpu.Outcome o : cpu.run(witnesses)) {
            if (o == NativeCpu.Outcome.RAN || o == NativeCpu.Outcome.FAULTED) {
                return true;
            }
        }
        return false;
    }

    /** Sets the inverted register-extension bits of a VEX/EVEX/XOP prefix at {@code p} to "no extension". */
    private static void noExtensions(byte[] b, int p, int escape) {
        switch (escape) {
            case 0xC5 -> b[p + 1] |= (byte) 0xC0;
            case 0xC4, 0x8F -> {
                b[p + 1] |= (byte) 0xE0;
                b[p + 2] |= 0x40;
            }
            default -> {
                b[p + 1] |= (byte) 0xF0;
                b[p + 2] |= 0x40;
                b[p + 3] |= 0x08;
            }
        }
    }

    /**
     * The same instruction with W, pp, L (L'L), vvvv (as encoded or "unused"), the ModRM form varied, and the EVEX
     * masking, zeroing and broadcast bits cleared.
     */
    private static List<byte[]> variants(byte[] s, int escape) {
        List<byte[]> out = new ArrayList<>();
        int fields = escape == 0xC5 ? 1 : 2;      // index of the byte holding W/vvvv/L/pp
        int modrm = escape == 0xC5 ? 3 : escape == 0x62 ? 5 : 4;
        int lengths = escape == 0x62 ? 3 : 2;
        for (int w = 0; w < 2; w++) {
            for (int pp = 0; pp < 4; pp++) {
                for (int l = 0; l < lengths; l++) {
                    for (int form = 0; form < 3; form++) {
                        for (int unused = 0; unused < 2; unused++) {
                            if (escape == 0xC5 && w == 1) {
                                continue;
                            }
                            byte[] v = s.clone();
                            int f = v[fields] & 0xFF;
                            f = (f & ~3) | pp;
                            if (escape != 0xC5) {
                                f = (f & 0x7F) | w << 7;
                            }
                            if (unused == 1) {
                                f |= 0x78;
                            }
                            if (escape == 0x62) {
                                v[3] = (byte) (l << 5 | 0x08); // L'L; V' = 1; no {z}, broadcast or mask
                            } else {
                                f = (f & ~4) | l << 2;
                            }
                            v[fields] = (byte) f;
                            int m = v[modrm] & 0xFF;
                            if (form == 1) {
                                v[modrm] = (byte) (0xC0 | (m & 0x3F));
                            } else if (form == 2) {
                                v[modrm] = (byte) ((m & 0x38) | 3);
                            }
                            out.add(v);
                        }
                    }
                }
            }
        }
        return out;
    }
}
