package io.jkvm.runtime.hardware;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.jkvm.abi.Errno;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.Ioctl;
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
import java.lang.foreign.MemorySegment;

/**
 * A vcpu of {@code /dev/kvm}: its fd, the {@code kvm_run} area mapped from it, and the kick machinery.
 *
 * <h2>Run area</h2>
 * {@code KVM_GET_VCPU_MMAP_SIZE} bytes of the vcpu fd are mapped {@code MAP_SHARED} at offset 0 and wrapped, whole
 * (the PIO data page lies past {@code struct kvm_run}), in one {@link KvmRun} for the vcpu's life. The mapping
 * belongs to a shared {@link Arena} whose cleanup action unmaps it, so after {@link #close()} a stale reference
 * fails with {@code IllegalStateException} instead of touching unmapped memory.
 *
 * <h2>Kick</h2>
 * {@link #kick()} must make a {@code KVM_RUN} in progress on another thread return, with no race against a
 * {@code KVM_RUN} about to start. This is the classic KVM technique with a blocked signal, plus
 * {@code immediate_exit} for the entry race:
 * <ol>
 *   <li>The kick signal ({@link KickSignal}, a real-time signal HotSpot does not use) is <em>blocked</em> in the
 *       vcpu thread: on each {@link #run()}, {@code pthread_sigmask(SIG_BLOCK)} (one cheap syscall, which also
 *       covers a new thread, a reused {@code pthread_t} or a virtual thread's new carrier).</li>
 *   <li>{@code KVM_SET_SIGNAL_MASK} gives KVM the thread's mask <em>minus</em> the kick signal, to use only while
 *       {@code KVM_RUN} executes (re-issued only when the thread's mask changes). A kick signal arriving then (or
 *       already pending at entry) ends {@code KVM_RUN} with EINTR; on return KVM restores the blocked mask, so the
 *       signal stays pending and never reaches a handler (Linux &ge; 4.15 keeps a blocked-outside signal with the
 *       default disposition from being fatal inside {@code KVM_RUN}; see {@link KickSignal}).</li>
 *   <li>{@code run()} records {@code pthread_self()} under {@code kickLock} just before entering, and clears it
 *       just after; {@code kick()} sets {@code kickPending} and {@code kvm_run.immediate_exit = 1}, then, under
 *       the same lock, sends {@code pthread_kill} only if a thread is recorded (at most once per run). The lock
 *       guarantees the recorded thread is alive and still inside this run when signalled.</li>
 *   <li>The race: a kick before the thread is recorded finds nobody to signal, but {@code immediate_exit} (set
 *       again at entry from {@code kickPending}, under the lock) makes KVM return EINTR at once; a kick after it is
 *       recorded but before the ioctl leaves the signal pending, which KVM sees as soon as it unblocks it.</li>
 *   <li>After the ioctl: the thread un-records itself, takes {@code kickPending}, and if a kick happened consumes
 *       every queued kick signal with {@code sigtimedwait} (zero timeout) and clears {@code immediate_exit}, as
 *       api.rst describes. A kick landing after that is not lost: {@code kickPending} is set again and the next
 *       run enters with {@code immediate_exit} set.</li>
 *   <li>EINTR is not an error: {@code run()} returns normally with {@code exit_reason = KVM_EXIT_INTR} written in
 *       the run area (KVM itself leaves it stale on the {@code immediate_exit} path), as a C VMM treats it.</li>
 * </ol>
 * {@code run()} may be called from a virtual thread: nothing between {@code pthread_self()} and the ioctl can unmount
 * it (no blocking operation; the downcall then pins it), so the recorded thread is the carrier inside
 * {@code KVM_RUN}; its carrier keeps the kick signal blocked afterwards, which is harmless.
 * Kicks coalesce: several kicks during one run produce one {@code KVM_EXIT_INTR}; a kick racing with another exit
 * (IO, HLT...) is consumed by that exit, since its purpose, making the run return, is met. If the caller set
 * {@code immediate_exit} itself and a kick also happened, the flag is cleared with the kick's. The run path
 * allocates nothing: its capture buffer, signal sets and timespec are allocated once per vcpu.
 *
 * <h2>Close</h2>
 * The fd is an {@link OwnedFd}: {@link #close()} during a run (from another thread) kicks the run and defers the
 * fd close and the unmapping to when the run returns; later calls fail with EBADF.
 */
final class HardwareVcpu implements VcpuHandle {
    private static final int EINTR = Errno.EINTR.number();
    /** A kernel sigset value no computed mask equals (computed masks never contain the kick signal). */
    private static final long NO_MASK = -1L;

    private final int id;
    private final String name;
    private final OwnedFd fd;
    private final Arena arena;
    private final KvmRun run;
    private final VcpuKernel kernel;

    // Allocated once; used only by the thread inside run() (the API admits one runner at a time).
    private final MemorySegment runCapture;
    private final MemorySegment signalMask;
    private final KickChannel kickChannel;
    /** The mask last given to KVM_SET_SIGNAL_MASK; touched only by the runner, under kickLock. */
    private long kernelMask = NO_MASK;

    private final Object kickLock = new Object();
    /** {@code pthread_self()} of the thread inside KVM_RUN, 0 when none; guarded by kickLock. */
    private long runningThread;
    /** Whether this run was already signalled; guarded by kickLock. */
    private boolean signalled;
    /** A kick not yet consumed by a run; guarded by kickLock. */
    private boolean kickPending;
    /** Set (under kickLock) before the run area is unmapped. */
    private boolean released;

    /** Maps the run area of {@code vcpuFd} (which this object now owns) and prepares the kick machinery. */
    HardwareVcpu(int id, int vcpuFd, long mmapSize) {
        this(id, vcpuFd, mmapSize, VcpuKernel.KVM);
    }

    /** As above, with the run ioctls issued through {@code kernel} (tests substitute a model of KVM). */
    @SuppressWarnings("restricted")
    HardwareVcpu(int id, int vcpuFd, long mmapSize, VcpuKernel kernel) {
        this.id = id;
        this.name = "vcpu " + id;
        this.kernel = kernel;
        Arena a = Arena.ofShared();
        MemorySegment area;
        try {
            MemorySegment raw = Native.mmap(mmapSize, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED,
                    vcpuFd, 0, "mmap " + name + " fd (kvm_run)");
            long address = raw.address();
            area = raw.reinterpret(mmapSize, a, s -> Native.munmap(address, mmapSize));
            this.runCapture = Native.allocateCapture(a);
            this.signalMask = a.allocate(Integer.BYTES + KvmIoctls.KERNEL_SIGSET_BYTES, 8);
            this.kickChannel = new KickChannel(KickSignal.number(), a);
        } catch (RuntimeException | Error e) {
            a.close();
            Native.close(vcpuFd, "close " + name + " fd");
            throw e;
        }
        this.arena = a;
        this.run = new KvmRun(area);
        this.fd = new OwnedFd(vcpuFd, name + " fd", this::releaseMapping);
    }

    int id() {
        return id;
    }

    @Override
    public KvmRun runArea() {
        return run;
    }

    @Override
    public void run() {
        int vcpuFd = fd.acquire("KVM_RUN");
        try {
            synchronized (kickLock) {
                if (kickPending) {
                    run.immediateExit(1);
                }
                long self = Native.pthreadSelf();
                setRunSignalMask(vcpuFd, kickChannel.blockInCurrentThread());
                runningThread = self;
                signalled = false;
            }
            int r = kernel.run(runCapture, vcpuFd, run);
            int errno = r < 0 ? Native.errno(runCapture) : 0;
            boolean kicked;
            synchronized (kickLock) {
                runningThread = 0;
                kicked = kickPending;
                kickPending = false;
            }
            if (kicked) {
                kickChannel.drain();
                run.immediateExit(0);
            }
            if (r < 0) {
                if (errno == EINTR) {
                    run.exit(ExitReason.INTR);
                    return;
                }
                throw KvmIoctls.failure("KVM_RUN", errno, name);
            }
        } finally {
            fd.release();
        }
    }

    /**
     * Gives KVM {@code mask} (the thread's mask without the kick signal) for use during KVM_RUN, when it differs
     * from the one KVM has. Called under kickLock by the runner.
     */
    private void setRunSignalMask(int vcpuFd, long mask) {
        if (mask != kernelMask) {
            signalMask.set(JAVA_INT_UNALIGNED, 0, KvmIoctls.KERNEL_SIGSET_BYTES);
            signalMask.set(JAVA_LONG_UNALIGNED, Integer.BYTES, mask);
            if (kernel.setSignalMask(runCapture, vcpuFd, signalMask) < 0) {
                throw KvmIoctls.failure("KVM_SET_SIGNAL_MASK", Native.errno(runCapture), name + ": mask 0x"
                        + Long.toHexString(mask) + " (len 8), kick signal " + kickChannel.signal());
            }
            kernelMask = mask;
        }
    }

    @Override
    public void kick() {
        synchronized (kickLock) {
            if (released) {
                return;
            }
            kickPending = true;
            run.immediateExit(1);
            if (runningThread != 0 && !signalled) {
                signalled = true;
                // Cannot fail with ESRCH: the recorded thread is inside run() until it takes kickLock again.
                int err = kickChannel.send(runningThread);
                if (err != 0) {
                    throw Native.failure("pthread_kill", err, name + ": cannot send the kick signal "
                            + kickChannel.signal());
                }
            }
        }
    }

    // ---- state ioctls ----

    @Override
    public void getRegs(KvmRegs regs) {
        call(Ioctl.KVM_GET_REGS, regs.segment(), "kvm_regs");
    }

    @Override
    public void setRegs(KvmRegs regs) {
        call(Ioctl.KVM_SET_REGS, regs.segment(), "kvm_regs rip=0x" + Long.toHexString(regs.rip()));
    }

    @Override
    public void getSregs(KvmSregs sregs) {
        call(Ioctl.KVM_GET_SREGS, sregs.segment(), "kvm_sregs");
    }

    @Override
    public void setSregs(KvmSregs sregs) {
        call(Ioctl.KVM_SET_SREGS, sregs.segment(), "kvm_sregs cr0=0x" + Long.toHexString(sregs.cr0()) + " cr4=0x"
                + Long.toHexString(sregs.cr4()) + " efer=0x" + Long.toHexString(sregs.efer()));
    }

    @Override
    public void getFpu(KvmFpu fpu) {
        call(Ioctl.KVM_GET_FPU, fpu.segment(), "kvm_fpu");
    }

    @Override
    public void setFpu(KvmFpu fpu) {
        call(Ioctl.KVM_SET_FPU, fpu.segment(), "kvm_fpu");
    }

    @Override
    public int getMsrs(KvmMsrs msrs) {
        checkCount("KVM_GET_MSRS", msrs.nmsrs(), msrs.capacity(), "nmsrs");
        return call(Ioctl.KVM_GET_MSRS, msrs.segment(), "kvm_msrs nmsrs=" + msrs.nmsrs());
    }

    @Override
    public int setMsrs(KvmMsrs msrs) {
        checkCount("KVM_SET_MSRS", msrs.nmsrs(), msrs.capacity(), "nmsrs");
        return call(Ioctl.KVM_SET_MSRS, msrs.segment(), "kvm_msrs nmsrs=" + msrs.nmsrs());
    }

    @Override
    public void setCpuid2(KvmCpuid2 cpuid) {
        checkCount("KVM_SET_CPUID2", cpuid.nent(), cpuid.capacity(), "nent");
        call(Ioctl.KVM_SET_CPUID2, cpuid.segment(), "kvm_cpuid2 nent=" + cpuid.nent());
    }

    @Override
    public void getCpuid2(KvmCpuid2 cpuid) {
        checkCount("KVM_GET_CPUID2", cpuid.nent(), cpuid.capacity(), "nent");
        call(Ioctl.KVM_GET_CPUID2, cpuid.segment(), "kvm_cpuid2 capacity nent=" + cpuid.nent());
    }

    @Override
    public void translate(KvmTranslation translation) {
        call(Ioctl.KVM_TRANSLATE, translation.segment(),
                "linear_address=0x" + Long.toHexString(translation.linearAddress()));
    }

    @Override
    public void interrupt(KvmInterrupt interrupt) {
        call(Ioctl.KVM_INTERRUPT, interrupt.segment(), "irq=" + interrupt.irq());
    }

    @Override
    public void setGuestDebug(KvmGuestDebug debug) {
        call(Ioctl.KVM_SET_GUEST_DEBUG, debug.segment(), "control=0x" + Integer.toHexString(debug.control()));
    }

    @Override
    public void getMpState(KvmMpState state) {
        call(Ioctl.KVM_GET_MP_STATE, state.segment(), "kvm_mp_state");
    }

    @Override
    public void setMpState(KvmMpState state) {
        call(Ioctl.KVM_SET_MP_STATE, state.segment(), "mp_state=" + state.mpState());
    }

    @Override
    public int enableCap(KvmEnableCap cap) {
        return call(Ioctl.KVM_ENABLE_CAP, cap.segment(), "cap=" + cap.cap() + " on " + name);
    }

    private int call(Ioctl op, MemorySegment arg, String about) {
        int vcpuFd = fd.acquire(op.name());
        try {
            return KvmIoctls.call(vcpuFd, op, arg, name + ": " + about);
        } finally {
            fd.release();
        }
    }

    /** The kernel reads/writes {@code count} entries: refuse a count the segment has no room for. */
    private void checkCount(String operation, int count, int capacity, String field) {
        if (Integer.compareUnsigned(count, capacity) > 0) {
            throw new KvmException(operation, Errno.EFAULT, name + ": " + field + "=" + Integer.toUnsignedString(count)
                    + " but the segment has room for " + capacity + " entries; the kernel would access past it");
        }
    }

    // ---- lifetime ----

    /**
     * Closes the vcpu fd and unmaps the run area; if a run is in progress on another thread it is kicked and the
     * release happens when it returns. Idempotent.
     */
    @Override
    public void close() {
        if (!fd.close() && !fd.isReleased()) {
            kick();
        }
    }

    boolean isReleased() {
        return fd.isReleased();
    }

    private void releaseMapping() {
        synchronized (kickLock) {
            released = true;
        }
        arena.close();
    }

    @Override
    public String toString() {
        return "HardwareVcpu[" + name + ", fd " + fd.number() + (fd.isClosed() ? ", closed" : "") + "]";
    }
}
