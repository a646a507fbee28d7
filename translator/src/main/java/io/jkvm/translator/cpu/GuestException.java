package io.jkvm.translator.cpu;

/**
 * An x86 exception raised by a guest instruction (#DE, #UD, #GP, #PF ...): a guest event, not a host error. It is
 * stackless because guests may raise them at high rates (page faults) and the host stack means nothing to anyone.
 * The executor delivers it through the guest's IDT, or turns a triple fault into a shutdown exit.
 */
public final class GuestException extends RuntimeException {
    public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10,
            NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;

    private final int vector;
    private final int errorCode;
    private final boolean hasErrorCode;
    /** The faulting linear address for #PF (becomes CR2), and for non-canonical #GP/#SS (not delivered). */
    private final long address;
    private final boolean nonCanonical;

    public GuestException(int vector, int errorCode, boolean hasErrorCode, long address, String why) {
        super(why, null, false, false);
        this.vector = vector;
        this.errorCode = errorCode;
        this.hasErrorCode = hasErrorCode;
        this.address = address;
        this.nonCanonical = false;
    }

    public static GuestException ud(String why) {
        return new GuestException(UD, 0, false, 0, why);
    }

    public static GuestException gp(int errorCode, String why) {
        return new GuestException(GP, errorCode, true, 0, why);
    }

    /** #GP(0) for a non-canonical linear address (#SS(0) instead when the access was through SS). */
    public static GuestException nonCanonical(long address) {
        return new GuestException(GP, address, "non-canonical address 0x");
    }

    /** #SS(0) for a non-canonical linear address reached through SS. */
    public static GuestException stackNonCanonical(long address) {
        return new GuestException(SS, address, "non-canonical stack address 0x");
    }

    private GuestException(int vector, long address, String why) {
        super(why + Long.toHexString(address), null, false, false);
        this.vector = vector;
        this.errorCode = 0;
        this.hasErrorCode = true;
        this.address = address;
        this.nonCanonical = true;
    }

    /** Whether this is the fault of a non-canonical address ({@link #nonCanonical}, {@link #stackNonCanonical}). */
    public boolean isNonCanonical() {
        return nonCanonical;
    }

    public static GuestException de() {
        return new GuestException(DE, 0, false, 0, "divide error");
    }

    public static GuestException pf(long address, int errorCode) {
        return new GuestException(PF, errorCode, true, address, "page fault");
    }

    public static GuestException of(int vector, String why) {
        boolean code = vector == DF || (vector >= TS && vector <= PF) || vector == AC;
        return new GuestException(vector, 0, code, 0, why);
    }

    public int vector() {
        return vector;
    }

    public int errorCode() {
        return errorCode;
    }

    public boolean hasErrorCode() {
        return hasErrorCode;
    }

    public long address() {
        return address;
    }

    /** Faults whose delivery after another fault makes a double fault (SDM 6.15, table 6-5 "contributory"). */
    public boolean isContributory() {
        return vector == DE || (vector >= TS && vector <= GP);
    }
}
