package io.jkvm.runtime.cli;

/**
 * Exit statuses of {@code jkvm run}. A guest's own status (written to the debug-exit port) is passed through
 * unchanged, so it may be any value 0-255, including the ones below; jkvm's own outcomes are always accompanied by a
 * one-line {@code jkvm: ...} message on stderr, which tells them apart. (QEMU avoids the ambiguity by exiting with
 * {@code (status << 1) | 1}; jkvm prefers that a guest's status reads the same as the guest wrote it.)
 *
 * <pre>
 *   0       the guest halted with interrupts off (cli; hlt), or exited with status 0
 *   N       the guest wrote N to the debug-exit port 0xf4
 *   2       command-line usage error
 *   121     the guest asked for a reset or reported a crash (KVM_EXIT_SYSTEM_EVENT)
 *   122     the guest halted with interrupts on: nothing in jkvm can wake it
 *   123     internal error: KVM_EXIT_INTERNAL_ERROR, failed VM entry, an unhandled exit, a backend failure
 *   124     stopped by --timeout
 *   125     jkvm could not start the guest: unknown guest, unreadable or invalid image, backend unavailable
 *   126     the guest triple-faulted (KVM_EXIT_SHUTDOWN)
 * </pre>
 */
public final class ExitCodes {
    private ExitCodes() {
    }

    public static final int HALTED = 0;
    public static final int USAGE = 2;
    public static final int SYSTEM_EVENT = 121;
    public static final int HALTED_WITH_INTERRUPTS_ENABLED = 122;
    public static final int INTERNAL_ERROR = 123;
    public static final int TIMEOUT = 124;
    public static final int CANNOT_START = 125;
    public static final int TRIPLE_FAULT = 126;
}
