package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * The guest's time-stamp counter: host time since {@code config.tscEpochNanos} at {@code config.tscKhz}, plus
 * {@code cpu.tscOffset} (what a write to IA32_TSC adjusts, as KVM's TSC offset). RDTSC and RDTSCP raise #GP(0) at
 * CPL > 0 when CR4.TSD is set; RDTSCP exists only when the guest's CPUID advertises it (KVM leaves it disabled in
 * VMX otherwise, so the guest gets #UD).
 */
final class TimeStampCounter {
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private TimeStampCounter() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.RDTSC, false, TimeStampCounter::rdtsc);
        t.add(Mnemonic.RDTSCP, false, TimeStampCounter::rdtscp);
    }

    /** The current guest TSC value. */
    static long read(CpuState cpu) {
        return ticks(System.nanoTime() - cpu.config.tscEpochNanos, cpu.config.tscKhz) + cpu.tscOffset;
    }

    /** Makes the guest TSC read {@code value} now (a write to IA32_TSC). */
    static void write(CpuState cpu, long value) {
        cpu.tscOffset = value - ticks(System.nanoTime() - cpu.config.tscEpochNanos, cpu.config.tscKhz);
    }

    /** {@code nanos} of host time in TSC ticks at {@code khz}, without overflowing for long-running guests. */
    static long ticks(long nanos, long khz) {
        return nanos / NANOS_PER_MILLI * khz + nanos % NANOS_PER_MILLI * khz / NANOS_PER_MILLI;
    }

    private static void checkTsd(CpuState cpu, String what) {
        if ((cpu.cr4 & CpuState.CR4_TSD) != 0 && cpu.cpl() > 0) {
            throw Faults.gp0(what + " with CR4.TSD at CPL " + cpu.cpl());
        }
    }

    private static int rdtsc(CpuState cpu, MemoryPort mem, Instruction insn) {
        checkTsd(cpu, "RDTSC");
        long tsc = read(cpu);
        cpu.gpr[CpuState.RAX] = tsc & 0xffffffffL;
        cpu.gpr[CpuState.RDX] = tsc >>> 32;
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int rdtscp(CpuState cpu, MemoryPort mem, Instruction insn) {
        if (!GuestFeatures.RDTSCP.in(cpu.config)) {
            throw Faults.ud("RDTSCP not in the guest's CPUID");
        }
        checkTsd(cpu, "RDTSCP");
        long tsc = read(cpu);
        cpu.gpr[CpuState.RAX] = tsc & 0xffffffffL;
        cpu.gpr[CpuState.RDX] = tsc >>> 32;
        cpu.gpr[CpuState.RCX] = cpu.tscAux & 0xffffffffL;
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }
}
