package io.jkvm.translator.jit;

/** What a compiled region (or a helper) tells the executor when it returns. */
public final class Status {
    /** Continue at {@code cpu.rip}. */
    public static final int CONTINUE = 0;
    /** An exit to userspace is pending: {@code cpu.exit} describes it. */
    public static final int EXIT = 1;
    /** A guest exception is pending: {@code cpu.trap} holds it; state is at the faulting instruction. */
    public static final int TRAP = 2;
    /** The block must end here (mode change, SMC, interrupt window): continue at {@code cpu.rip} via the dispatcher. */
    public static final int END_BLOCK = 3;

    private Status() {
    }
}
