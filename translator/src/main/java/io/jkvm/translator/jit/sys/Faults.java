package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.GuestException;

/**
 * The exceptions system instructions raise, with the error codes the SDM gives them: a selector error code is the
 * selector's index and table bit with bit 0 (EXT) set when the fault happened while delivering an event external
 * to the program (SDM 6.13).
 */
final class Faults {
    private Faults() {
    }

    /** The error code naming {@code selector} (RPL dropped) with EXT {@code ext} (0 or 1). */
    static int selectorCode(int selector, int ext) {
        return (selector & 0xfffc) | ext;
    }

    /** The error code naming IDT entry {@code vector} (IDT bit set). */
    static int idtCode(int vector, int ext) {
        return (vector << 3) | 2 | ext;
    }

    static GuestException gp0(String why) {
        return GuestException.gp(0, why);
    }

    static GuestException gp(int errorCode, String why) {
        return GuestException.gp(errorCode, why);
    }

    static GuestException np(int errorCode, String why) {
        return new GuestException(GuestException.NP, errorCode, true, 0, why);
    }

    static GuestException ss(int errorCode, String why) {
        return new GuestException(GuestException.SS, errorCode, true, 0, why);
    }

    static GuestException ts(int errorCode, String why) {
        return new GuestException(GuestException.TS, errorCode, true, 0, why);
    }

    static GuestException ud(String why) {
        return GuestException.ud(why);
    }
}
