package io.jkvm.runtime.hardware;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;

/**
 * A file descriptor with a use count, so that {@code close()} on one thread can never make another thread's ioctl
 * land on a recycled descriptor number. Each ioctl runs between {@link #acquire} and {@link #release}; a
 * {@link #close} while uses are in flight only marks the fd closed (new acquires fail with EBADF, as the kernel
 * would answer for a closed fd) and the last {@code release} closes it and runs the release action (for a vcpu:
 * unmapping its run area). So a {@code KVM_RUN} in progress keeps its vcpu's fd and mapping until it returns.
 *
 * <p>All transitions are under this object's monitor; the uncontended monitor costs no allocation on the run path.
 */
final class OwnedFd {
    private final int fd;
    private final String what;
    private final Runnable releaseAction;
    private int uses;
    private boolean closed;
    private boolean released;

    /**
     * @param fd            the descriptor, now owned by this object
     * @param what          what it is, for messages (e.g. "vcpu 0 fd")
     * @param releaseAction run once, after the fd is closed, when the last use has ended (may be {@code null})
     */
    OwnedFd(int fd, String what, Runnable releaseAction) {
        this.fd = fd;
        this.what = what;
        this.releaseAction = releaseAction;
    }

    /** Starts a use and returns the fd; EBADF once {@link #close()} was called. */
    int acquire(String operation) {
        synchronized (this) {
            if (closed) {
                throw new KvmException(operation, Errno.EBADF, what + " was closed");
            }
            uses++;
            return fd;
        }
    }

    /** Ends a use started by {@link #acquire}. */
    void release() {
        boolean releaseNow;
        synchronized (this) {
            uses--;
            releaseNow = closed && uses == 0 && !released;
            if (releaseNow) {
                released = true;
            }
        }
        if (releaseNow) {
            doRelease();
        }
    }

    /**
     * Closes the fd now if nothing uses it, else as soon as the last use ends. Idempotent.
     *
     * @return {@code true} when this call closed it now, {@code false} if it was already closed or is deferred
     */
    boolean close() {
        boolean releaseNow;
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
            releaseNow = uses == 0;
            if (releaseNow) {
                released = true;
            }
        }
        if (releaseNow) {
            doRelease();
        }
        return releaseNow;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Whether the descriptor itself has been closed (all uses ended). */
    synchronized boolean isReleased() {
        return released;
    }

    /** The raw number, for messages and tests only: it may be closed and reused. */
    int number() {
        return fd;
    }

    private void doRelease() {
        try {
            Native.close(fd, "close " + what);
        } finally {
            if (releaseAction != null) {
                releaseAction.run();
            }
        }
    }
}
