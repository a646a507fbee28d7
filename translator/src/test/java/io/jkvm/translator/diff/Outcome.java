package io.jkvm.translator.diff;

import java.util.ArrayList;
import java.util.List;

/**
 * How a case ended on one side: the state at the end and the exception that ended it. A case normally ends with
 * the #UD of the {@code ud2} at its end; any other exception ends it at the faulting instruction (on the host the
 * signal handler sees the state of the faulting instruction; on the JIT the vcpu has no IDT and stops there).
 *
 * @see #vector
 */
final class Outcome {
    /** The JIT stopped for a reason other than an exception (internal error, budget): see {@link #detail}. */
    static final int NOT_AN_EXCEPTION = -1;
    static final String[] VECTOR_NAMES = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "9", "#TS",
            "#NP", "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM"};

    final MachineState state;
    /** The x86 vector that ended the case, or {@link #NOT_AN_EXCEPTION}. */
    final int vector;
    final long errorCode;
    /** The faulting linear address for #PF. */
    final long faultAddress;
    /** Free text: the host signal, or the JIT's exit reason. */
    final String detail;
    /** In trace mode: the state after each completed instruction (or string-instruction iteration). */
    final List<MachineState> steps = new ArrayList<>();

    Outcome(MachineState state, int vector, long errorCode, long faultAddress, String detail) {
        this.state = state;
        this.vector = vector;
        this.errorCode = errorCode;
        this.faultAddress = faultAddress;
        this.detail = detail;
    }

    /** Collects trace steps until the outcome exists. */
    static final class Builder {
        private final List<MachineState> steps = new ArrayList<>();

        void add(MachineState s) {
            steps.add(s);
        }

        void addTo(Outcome o) {
            o.steps.addAll(steps);
        }
    }

    static String vectorName(int v) {
        if (v == NOT_AN_EXCEPTION) {
            return "no exception";
        }
        return v >= 0 && v < VECTOR_NAMES.length ? VECTOR_NAMES[v] : "vector " + v;
    }

    /** True when the case ran to the {@code ud2} at {@code endAddress}. */
    boolean completed(long endAddress) {
        return vector == 6 && state.rip == endAddress;
    }

    String describeEnd(long endAddress) {
        if (completed(endAddress)) {
            return "completed (ud2 at end)";
        }
        StringBuilder b = new StringBuilder(vectorName(vector));
        if (vector == 14 || vector == 13 || vector == 17) {
            b.append(String.format(" error code 0x%x", errorCode));
        }
        if (vector == 14) {
            b.append(String.format(" at address 0x%x", faultAddress));
        }
        b.append(String.format(" at rip 0x%x", state.rip));
        if (detail != null) {
            b.append(" (").append(detail).append(')');
        }
        return b.toString();
    }
}
