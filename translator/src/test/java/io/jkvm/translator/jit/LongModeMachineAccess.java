package io.jkvm.translator.jit;

/** Test-support access for ad-hoc probes outside the package. */
public final class LongModeMachineAccess {
    private final LongModeMachine m;

    public LongModeMachineAccess(byte[] code) {
        m = new LongModeMachine(code);
    }

    public String run() {
        var e = m.vcpu.run();
        return e.kind + " " + e.reason;
    }

    public long insns() {
        return m.vcpu.cpu.instructions;
    }
}
