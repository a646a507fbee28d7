package io.jkvm.runtime.vmm;

import java.time.Duration;
import java.util.List;

/** How a guest run ended. {@link #describe()} is one line for people. */
public sealed interface Outcome {

    /** One line saying what happened. */
    String describe();

    /** The guest wrote {@code status} to the debug-exit port. */
    record GuestExit(int status) implements Outcome {
        @Override
        public String describe() {
            return "guest exited with status " + status + " (debug-exit port)";
        }
    }

    /**
     * HLT, and nothing can wake the vcpu: jkvm has no interrupt source (no timer, no interrupt controller), so a
     * halted vcpu would wait forever. {@code interruptsEnabled} false is the clean "cli; hlt" stop. {@code rip} is
     * where the vcpu stopped: past the HLT, as KVM reports it.
     */
    record Halted(long rip, boolean interruptsEnabled) implements Outcome {
        @Override
        public String describe() {
            return interruptsEnabled
                    ? String.format("guest halted with interrupts enabled (RIP=0x%x, past the HLT); no device can interrupt it", rip)
                    : String.format("guest halted with interrupts disabled (RIP=0x%x, past the HLT)", rip);
        }
    }

    /** {@code KVM_EXIT_SHUTDOWN}: a triple fault (or a shutdown cycle); {@code state} is the CPU state after it. */
    record TripleFault(String state) implements Outcome {
        @Override
        public String describe() {
            return "guest triple-faulted (KVM_EXIT_SHUTDOWN): " + state;
        }
    }

    /** {@code KVM_EXIT_INTERNAL_ERROR}. */
    record InternalError(int suberror, List<Long> data, String state) implements Outcome {
        public InternalError {
            data = List.copyOf(data);
        }

        @Override
        public String describe() {
            StringBuilder sb = new StringBuilder("backend internal error (KVM_EXIT_INTERNAL_ERROR, suberror ")
                    .append(suberror).append(' ').append(suberrorName(suberror)).append(')');
            if (!data.isEmpty()) {
                sb.append(" data");
                for (long d : data) {
                    sb.append(" 0x").append(Long.toHexString(d));
                }
            }
            return sb.append(": ").append(state).toString();
        }

        private static String suberrorName(int suberror) {
            return switch (suberror) {
                case 1 -> "EMULATION";
                case 2 -> "SIMUL_EX";
                case 3 -> "DELIVERY_EV";
                case 4 -> "UNEXPECTED_EXIT_REASON";
                default -> "unknown";
            };
        }
    }

    /** {@code KVM_EXIT_FAIL_ENTRY}: the backend refused the guest state. */
    record EntryFailed(long hardwareReason, String state) implements Outcome {
        @Override
        public String describe() {
            return "VM entry failed (KVM_EXIT_FAIL_ENTRY, hardware reason 0x" + Long.toHexString(hardwareReason) + "): "
                    + state;
        }
    }

    /** {@code KVM_EXIT_SYSTEM_EVENT}: the guest asked for shutdown, reset or reported a crash. */
    record SystemEvent(int type) implements Outcome {
        @Override
        public String describe() {
            String what = switch (type) {
                case 1 -> "shutdown";
                case 2 -> "reset";
                case 3 -> "crash";
                default -> "type " + type;
            };
            return "guest requested a system " + what + " (KVM_EXIT_SYSTEM_EVENT)";
        }
    }

    /** An exit the VMM does not handle (the backend produced something the VMM never enabled). */
    record Unhandled(String reason, int number, String state) implements Outcome {
        @Override
        public String describe() {
            return "unhandled exit " + reason + " (" + number + "): " + state;
        }
    }

    /** The run was stopped after the configured timeout. */
    record TimedOut(Duration after) implements Outcome {
        @Override
        public String describe() {
            return "guest still running after " + after.toMillis() + " ms: stopped";
        }
    }

    /** {@code KVM_RUN} itself failed (a backend error, not a guest event). */
    record BackendFailure(String message) implements Outcome {
        @Override
        public String describe() {
            return "backend failure: " + message;
        }
    }
}
