package io.jkvm.runtime.hardware;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.jkvm.abi.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The signal half of a vcpu kick (see {@link HardwareVcpu}): block the kick signal in the calling thread, send it to
 * a thread, and take every queued instance off the calling thread again. Buffers are allocated once, in the arena
 * given to the constructor, so that the run path allocates nothing; one thread at a time may call
 * {@link #blockInCurrentThread()} and {@link #drain()} (the vcpu's runner), {@link #send} is thread-safe.
 */
final class KickChannel {
    private static final int EINTR = Errno.EINTR.number();
    private static final int EAGAIN = Errno.EAGAIN.number();

    private final int signal;
    private final long bit;
    private final MemorySegment capture;
    private final MemorySegment kickSet;
    private final MemorySegment oldSet;
    private final MemorySegment zeroTimeout;

    KickChannel(int signal, Arena arena) {
        this.signal = signal;
        this.bit = 1L << (signal - 1);
        this.capture = Native.allocateCapture(arena);
        this.kickSet = arena.allocate(Native.SIGSET_T_BYTES, 8);
        this.oldSet = arena.allocate(Native.SIGSET_T_BYTES, 8);
        this.zeroTimeout = arena.allocate(Native.TIMESPEC_BYTES, 8).fill((byte) 0);
        Native.sigset(kickSet, signal);
    }

    int signal() {
        return signal;
    }

    /**
     * Blocks the kick signal in the calling thread ({@code pthread_sigmask(SIG_BLOCK)}) and returns the thread's
     * previous mask as the kernel's 64-bit sigset word, without the kick signal: the mask KVM should use during
     * {@code KVM_RUN}. glibc's {@code sigset_t} begins with that word (bit {@code n - 1} is signal {@code n}).
     */
    long blockInCurrentThread() {
        Native.pthreadSigmask(Native.SIG_BLOCK, kickSet, oldSet);
        return oldSet.get(JAVA_LONG_UNALIGNED, 0) & ~bit;
    }

    /** Sends the kick signal to {@code thread} (a {@code pthread_t}); returns 0 or the error number. */
    int send(long thread) {
        return Native.pthreadKill(thread, signal);
    }

    /**
     * Takes every pending instance of the kick signal off the calling thread ({@code sigtimedwait} with a zero
     * timeout; real-time signals queue) and returns how many there were.
     */
    int drain() {
        int taken = 0;
        while (true) {
            int r = Native.sigtimedwait(capture, kickSet, MemorySegment.NULL, zeroTimeout);
            if (r == signal) {
                taken++;
                continue;
            }
            if (r < 0) {
                int errno = Native.errno(capture);
                if (errno == EINTR) {
                    continue;
                }
                if (errno != EAGAIN) {
                    throw Native.failure("sigtimedwait", errno, "cannot take the kick signal " + signal);
                }
            }
            return taken;
        }
    }
}
