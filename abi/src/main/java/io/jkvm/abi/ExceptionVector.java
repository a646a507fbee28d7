package io.jkvm.abi;

/**
 * x86 exception vectors as asm/kvm.h names them; they appear in {@code kvm_run.ex.exception} and
 * {@code kvm_run.debug.arch.exception} (1 for #DB, 3 for #BP).
 */
public final class ExceptionVector {
    private ExceptionVector() {
    }

    public static final int DE_VECTOR = 0;
    public static final int DB_VECTOR = 1;
    public static final int BP_VECTOR = 3;
    public static final int OF_VECTOR = 4;
    public static final int BR_VECTOR = 5;
    public static final int UD_VECTOR = 6;
    public static final int NM_VECTOR = 7;
    public static final int DF_VECTOR = 8;
    public static final int TS_VECTOR = 10;
    public static final int NP_VECTOR = 11;
    public static final int SS_VECTOR = 12;
    public static final int GP_VECTOR = 13;
    public static final int PF_VECTOR = 14;
    public static final int MF_VECTOR = 16;
    public static final int AC_VECTOR = 17;
    public static final int MC_VECTOR = 18;
    public static final int XM_VECTOR = 19;
    public static final int VE_VECTOR = 20;
}
