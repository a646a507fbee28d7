package io.jkvm.runtime;

import io.jkvm.abi.Capability;
import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmCpuid2;
import io.jkvm.abi.KvmEnableCap;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmFpu;
import io.jkvm.abi.KvmGuestDebug;
import io.jkvm.abi.KvmInterrupt;
import io.jkvm.abi.KvmMpState;
import io.jkvm.abi.KvmMsrs;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSregs;
import io.jkvm.abi.KvmTranslation;
import io.jkvm.runtime.spi.VcpuHandle;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A virtual CPU. {@link #run()} enters the guest and returns the shared {@link KvmRun} area (never a copy) when the
 * guest exits; the caller handles the exit (for an IN, writes the data at {@code io.data_offset}; for an MMIO read,
 * writes {@code mmio.data}) and calls {@code run()} again, exactly as with {@code ioctl(KVM_RUN)}.
 *
 * <p>One thread runs a vcpu at a time: a second concurrent {@code run()} fails with EBUSY (KVM would block on the
 * vcpu mutex; in jkvm that is always a VMM bug, so it is reported). {@link #kick()} may be called from any thread.
 * Getters that return a structure allocate it in an automatic arena; the {@code into} variants reuse the caller's.
 */
public final class Vcpu implements AutoCloseable {
    private final Vm vm;
    private final int id;
    private final VcpuHandle handle;
    private final AtomicReference<Thread> runner = new AtomicReference<>();
    private volatile boolean closed;

    Vcpu(Vm vm, int id, VcpuHandle handle) {
        this.vm = vm;
        this.id = id;
        this.handle = handle;
    }

    public int id() {
        return id;
    }

    public Vm vm() {
        return vm;
    }

    /** The shared run area; valid for the vcpu's whole life. */
    public KvmRun runArea() {
        return handle().runArea();
    }

    /** {@code KVM_RUN}: runs the guest until its next exit and returns the run area describing it. */
    public KvmRun run() {
        VcpuHandle h = handle();
        Thread me = Thread.currentThread();
        if (!runner.compareAndSet(null, me)) {
            Thread other = runner.get();
            throw new KvmException("KVM_RUN", Errno.EBUSY, "vcpu " + id + " is already running on thread '"
                    + (other == null ? "?" : other.getName()) + "'; run each vcpu from one thread at a time");
        }
        try {
            h.run();
            return h.runArea();
        } finally {
            runner.set(null);
        }
    }

    /**
     * Makes a {@link #run()} in progress (or the next one, if none is) return with {@code KVM_EXIT_INTR}: the Java
     * form of the signal a C VMM sends its vcpu thread. Thread-safe.
     */
    public void kick() {
        if (!closed) {
            handle.kick();
        }
    }

    /** Sets {@code kvm_run.immediate_exit}: while set, {@code run()} returns at once with {@code KVM_EXIT_INTR}. */
    public void immediateExit(boolean exit) {
        runArea().immediateExit(exit ? 1 : 0);
    }

    public KvmRegs getRegs() {
        return getRegs(KvmRegs.allocate(Arena.ofAuto()));
    }

    public KvmRegs getRegs(KvmRegs into) {
        handle().getRegs(into);
        return into;
    }

    public void setRegs(KvmRegs regs) {
        handle().setRegs(regs);
    }

    public KvmSregs getSregs() {
        return getSregs(KvmSregs.allocate(Arena.ofAuto()));
    }

    public KvmSregs getSregs(KvmSregs into) {
        handle().getSregs(into);
        return into;
    }

    public void setSregs(KvmSregs sregs) {
        handle().setSregs(sregs);
    }

    public KvmFpu getFpu() {
        KvmFpu fpu = KvmFpu.allocate(Arena.ofAuto());
        handle().getFpu(fpu);
        return fpu;
    }

    public void setFpu(KvmFpu fpu) {
        handle().setFpu(fpu);
    }

    /** {@code KVM_GET_MSRS}: fills the entries' data; returns how many were read. */
    public int getMsrs(KvmMsrs msrs) {
        return handle().getMsrs(msrs);
    }

    /** {@code KVM_SET_MSRS}: returns how many were written. */
    public int setMsrs(KvmMsrs msrs) {
        return handle().setMsrs(msrs);
    }

    /** Reads one MSR; fails with EINVAL naming the index when the backend does not know it. */
    public long getMsr(int index) {
        try (Arena arena = Arena.ofConfined()) {
            KvmMsrs msrs = KvmMsrs.allocate(arena, 1);
            msrs.nmsrs(1);
            msrs.entry(0).index(index);
            if (handle().getMsrs(msrs) != 1) {
                throw new KvmException("KVM_GET_MSRS", Errno.EINVAL,
                        "MSR 0x" + Integer.toHexString(index) + " is not readable on this backend");
            }
            return msrs.entry(0).data();
        }
    }

    /** Writes one MSR; fails with EINVAL naming the index when the backend refuses it. */
    public void setMsr(int index, long value) {
        try (Arena arena = Arena.ofConfined()) {
            KvmMsrs msrs = KvmMsrs.allocate(arena, 1);
            msrs.nmsrs(1);
            msrs.entry(0).index(index).data(value);
            if (handle().setMsrs(msrs) != 1) {
                throw new KvmException("KVM_SET_MSRS", Errno.EINVAL, "MSR 0x" + Integer.toHexString(index)
                        + " cannot be set to 0x" + Long.toHexString(value) + " on this backend");
            }
        }
    }

    /** {@code KVM_SET_CPUID2}: the CPUID leaves the guest sees. */
    public void setCpuid2(KvmCpuid2 cpuid) {
        handle().setCpuid2(cpuid);
    }

    public void getCpuid2(KvmCpuid2 cpuid) {
        handle().getCpuid2(cpuid);
    }

    /** {@code KVM_TRANSLATE}: the guest's current page tables applied to {@code linearAddress}. */
    public KvmTranslation translate(long linearAddress) {
        KvmTranslation t = KvmTranslation.allocate(Arena.ofAuto()).linearAddress(linearAddress);
        handle().translate(t);
        return t;
    }

    /** {@code KVM_INTERRUPT}: queues an external interrupt (no in-kernel irqchip), delivered when IF=1. */
    public void interrupt(int vector) {
        if (vector < 0 || vector > 255) {
            throw new KvmException("KVM_INTERRUPT", Errno.EINVAL, "vector " + vector + " is not in 0..255");
        }
        try (Arena arena = Arena.ofConfined()) {
            handle().interrupt(KvmInterrupt.allocate(arena).irq(vector));
        }
    }

    /** {@code KVM_SET_GUEST_DEBUG}. */
    public void setGuestDebug(KvmGuestDebug debug) {
        handle().setGuestDebug(debug);
    }

    /** {@code KVM_SET_GUEST_DEBUG} with just the control flags (e.g. ENABLE | SINGLESTEP). */
    public void setGuestDebug(int control) {
        try (Arena arena = Arena.ofConfined()) {
            handle().setGuestDebug(KvmGuestDebug.allocate(arena).control(control));
        }
    }

    public KvmMpState getMpState() {
        KvmMpState s = KvmMpState.allocate(Arena.ofAuto());
        handle().getMpState(s);
        return s;
    }

    public void setMpState(KvmMpState state) {
        handle().setMpState(state);
    }

    /** {@code KVM_ENABLE_CAP} on the vcpu. */
    public int enableCap(Capability capability, long... args) {
        if (args.length > 4) {
            throw new KvmException("KVM_ENABLE_CAP", Errno.EINVAL, "at most 4 arguments, got " + args.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            KvmEnableCap cap = KvmEnableCap.allocate(arena).cap(capability.number());
            for (int i = 0; i < args.length; i++) {
                cap.args(i, args[i]);
            }
            return handle().enableCap(cap);
        }
    }

    /**
     * Guest instructions retired by this vcpu so far (jkvm extension {@code JKVM_INSTRUCTION_COUNT}): exact and
     * deterministic on the JIT backend; -1 on backends that cannot count.
     */
    public long instructionsRetired() {
        return handle().instructionsRetired();
    }

    /**
     * Makes {@link #run()} return with {@code JKVM_EXIT_BUDGET} when {@link #instructionsRetired()} reaches
     * {@code limit} (an absolute count), at exactly that instruction boundary; the guest resumes there on the next
     * run. {@code Long.MAX_VALUE} removes the budget.
     */
    public void setInstructionBudget(long limit) {
        handle().setInstructionBudget(limit);
    }

    /** Backend statistics (exits, translation counters ...), for reports such as {@code jkvm run --stats}. */
    public java.util.Map<String, Object> statistics() {
        return handle().statistics();
    }

    /** The backend's handle, for backend-specific extensions. */
    public VcpuHandle backendHandle() {
        return handle();
    }

    private VcpuHandle handle() {
        if (closed) {
            throw new KvmException("vcpu ioctl", Errno.EBADF, "vcpu " + id + " was closed");
        }
        return handle;
    }

    /** Closes the vcpu; a run in progress on another thread is kicked out first. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Thread t = runner.get();
        if (t != null && t != Thread.currentThread()) {
            handle.kick();
            for (int i = 0; i < 2000 && runner.get() != null; i++) {
                Thread.onSpinWait();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        handle.close();
        vm.forget(this);
    }
}
