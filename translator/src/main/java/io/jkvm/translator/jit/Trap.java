package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;

/** Turns what a region's exception handler caught into a status, after the region saved the precise state. */
public final class Trap {
    private Trap() {
    }

    /** Called by generated code with the state already written back at the faulting instruction. */
    public static int handle(CpuState cpu, Throwable t) throws Throwable {
        if (t instanceof GuestException ge) {
            cpu.trap = ge;
            return Status.TRAP;
        }
        if (t instanceof ExitSignal) {
            return Status.EXIT;
        }
        throw t;
    }

    /** The #AC(0) of a misaligned data access (built out of line: generated code only throws it). */
    public static io.jkvm.translator.cpu.GuestException alignmentCheck(long address, boolean stack) {
        // The canonical-address check comes first (a non-canonical misaligned access is a #GP); outside 64-bit mode
        // addresses are below 4 GiB and always pass this test.
        long top = address >> 47;
        if (top != 0 && top != -1) {
            return stack ? GuestException.stackNonCanonical(address) : GuestException.nonCanonical(address);
        }
        return new GuestException(GuestException.AC, 0, true, 0,
                "misaligned access at 0x" + Long.toHexString(address) + " with CR0.AM and EFLAGS.AC set at CPL 3");
    }

    /**
     * Thrown by a slow path that needs an exit to userspace before the current instruction can complete (an MMIO
     * load). The instruction restarts on the next run, with the data userspace provided.
     */
    public static final class ExitSignal extends RuntimeException {
        public static final ExitSignal INSTANCE = new ExitSignal();

        private ExitSignal() {
            super("exit to userspace", null, false, false);
        }
    }
}
