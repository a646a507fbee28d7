package io.jkvm.runtime.vmm;

import io.jkvm.abi.ExitReason;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSregs;
import io.jkvm.runtime.devices.DebugExit;
import io.jkvm.runtime.devices.IoBus;
import io.jkvm.runtime.devices.MmioBus;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The vcpu loop: run, route the exit, repeat. It only routes: port I/O to the {@link IoBus}, MMIO to the
 * {@link MmioBus}; it ends the run on the debug-exit port, on a HLT nothing can wake (jkvm has no interrupt source),
 * on a triple fault, an internal error, a failed entry, a system event, an exit it does not know, or a stop request
 * ({@link #requestStop}, e.g. a timeout, which kicks the vcpu out with {@code KVM_EXIT_INTR}).
 *
 * <p>Exits that only appear when a VMM enables them get the answer KVM gives when it is not enabled, and the run
 * goes on: a {@code KVM_EXIT_HYPERCALL} returns {@code -KVM_ENOSYS}, an {@code X86_RDMSR/WRMSR} exit injects #GP.
 */
final class RunLoop {
    /** {@code -KVM_ENOSYS}: what KVM returns in RAX for an unknown hypercall. */
    static final long KVM_ENOSYS_RESULT = -1000;
    static final long RFLAGS_IF = 1L << 9;

    private final VcpuPort vcpu;
    private final IoBus ioBus;
    private final MmioBus mmioBus;
    private final DebugExit debugExit;
    private final long[] exits = new long[ExitReason.values().length];
    private final AtomicReference<Outcome> stopRequest = new AtomicReference<>();
    private long firstExitNanos = -1;

    RunLoop(VcpuPort vcpu, IoBus ioBus, MmioBus mmioBus, DebugExit debugExit) {
        this.vcpu = vcpu;
        this.ioBus = ioBus;
        this.mmioBus = mmioBus;
        this.debugExit = debugExit;
    }

    /** Asks the loop to end with {@code outcome} at its next exit; the caller kicks the vcpu. Thread-safe. */
    void requestStop(Outcome outcome) {
        stopRequest.compareAndSet(null, outcome);
    }

    /** Runs until the guest is done; returns how it ended. */
    Outcome run() {
        long start = System.nanoTime();
        while (true) {
            Outcome stop = stopRequest.get();
            if (stop != null) {
                return stop;
            }
            KvmRun run = vcpu.run();
            if (firstExitNanos < 0) {
                firstExitNanos = System.nanoTime() - start;
            }
            ExitReason reason = run.exit();
            exits[reason.ordinal()]++;
            switch (reason) {
                case IO -> {
                    ioBus.handle(run.io());
                    OptionalInt status = debugExit.status();
                    if (status.isPresent()) {
                        return new Outcome.GuestExit(status.getAsInt());
                    }
                }
                case MMIO -> mmioBus.handle(run.mmio());
                case HLT -> {
                    KvmRegs regs = vcpu.regs();
                    return new Outcome.Halted(regs.rip(), (regs.rflags() & RFLAGS_IF) != 0);
                }
                case SHUTDOWN -> {
                    return new Outcome.TripleFault(state());
                }
                case INTERNAL_ERROR -> {
                    KvmRun.Internal internal = run.internal();
                    int n = Math.min(Math.max(internal.ndata(), 0), KvmRun.Internal.DATA);
                    List<Long> data = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        data.add(internal.data(i));
                    }
                    return new Outcome.InternalError(internal.suberror(), data, state());
                }
                case FAIL_ENTRY -> {
                    return new Outcome.EntryFailed(run.failEntry().hardwareEntryFailureReason(), state());
                }
                case SYSTEM_EVENT -> {
                    return new Outcome.SystemEvent(run.systemEvent().type());
                }
                case INTR -> {
                    // a kick: either a stop request (checked at the top) or a spurious signal; go on
                }
                case HYPERCALL -> run.hypercall().ret(KVM_ENOSYS_RESULT);
                case X86_RDMSR, X86_WRMSR -> run.msr().error(1);
                default -> {
                    return new Outcome.Unhandled(reason == ExitReason.UNRECOGNIZED ? "unrecognized" : reason.cName(),
                            run.exitReason(), state());
                }
            }
        }
    }

    /** Exits so far, by reason (only reasons that occurred), in enum order. */
    Map<ExitReason, Long> exitsByReason() {
        Map<ExitReason, Long> m = new EnumMap<>(ExitReason.class);
        ExitReason[] values = ExitReason.values();
        for (int i = 0; i < exits.length; i++) {
            if (exits[i] != 0) {
                m.put(values[i], exits[i]);
            }
        }
        return m;
    }

    /** Nanoseconds from the start of {@link #run()} to the first exit; -1 before it. */
    long firstExitNanos() {
        return firstExitNanos;
    }

    /** The CPU state in one line, for fatal outcomes; never throws (a failing getter is reported in the text). */
    private String state() {
        try {
            KvmRegs r = vcpu.regs();
            KvmSregs s = vcpu.sregs();
            return String.format("RIP=0x%x RSP=0x%x RFLAGS=0x%x CS=0x%x(base 0x%x, %s) CR0=0x%x CR2=0x%x CR3=0x%x "
                            + "CR4=0x%x EFER=0x%x", r.rip(), r.rsp(), r.rflags(), s.cs().selector(), s.cs().base(),
                    s.cs().l() != 0 ? "64-bit" : s.cs().db() != 0 ? "32-bit" : "16-bit", s.cr0(), s.cr2(), s.cr3(),
                    s.cr4(), s.efer());
        } catch (RuntimeException e) {
            return "(state unavailable: " + e.getMessage() + ")";
        }
    }
}
