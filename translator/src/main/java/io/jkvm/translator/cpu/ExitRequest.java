package io.jkvm.translator.cpu;

/**
 * An exit to userspace requested by an instruction, recorded in plain fields (no allocation per exit) and copied
 * into {@code kvm_run} by the executor. The names follow {@code kvm_run}'s exit members.
 */
public final class ExitRequest {
    public enum Kind {
        NONE, IO, MMIO, HLT, CPUID, HYPERCALL, RDMSR, WRMSR, SHUTDOWN, DEBUG, INTERNAL_ERROR,
        /** A kick or a pending signal: {@code KVM_EXIT_INTR}. */
        INTR,
        /** {@code request_interrupt_window} was set and the guest can take an interrupt now. */
        IRQ_WINDOW_OPEN,
        /** The instruction budget is used up (jkvm extension). */
        BUDGET
    }

    public Kind kind = Kind.NONE;
    // IO
    public boolean ioIn;
    public int port, size, count;
    /** Bytes moved for IO (OUT data, or where IN data lands): up to 4 KiB for string I/O. */
    public final byte[] data = new byte[4096];
    // MMIO
    public long gpa;
    public boolean mmioWrite;
    public int mmioLength;
    // MSR
    public int msrIndex;
    public long msrData;
    /** Set when userspace failed an MSR access exit ({@code kvm_run.msr.error}): the guest gets #GP. */
    public boolean msrError;
    // CPUID
    public int cpuidFunction, cpuidIndex;
    /** The four results userspace wrote back for a CPUID exit. */
    public int cpuidEax, cpuidEbx, cpuidEcx, cpuidEdx;
    /** Hypercall return value written by userspace ({@code kvm_run.hypercall.ret}). */
    public long hypercallRet;
    // hypercall / debug
    public long hypercallNr;
    public final long[] hypercallArgs = new long[6];
    public int debugException;
    public long debugPc;
    /** Why, for INTERNAL_ERROR (suberror) and SHUTDOWN diagnostics. */
    public int suberror;
    public String reason;
    /** For INTERNAL_ERROR caused by a jkvm bug: the host exception, for diagnostics. */
    public Throwable cause;

    public void clear() {
        kind = Kind.NONE;
        reason = null;
        cause = null;
    }
}
