package io.jkvm.runtime.hardware;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc functions the hardware backend needs, bound once through the FFM API ({@code java.lang.foreign}).
 *
 * <p>Every binding that can fail with {@code errno} captures it with {@code Linker.Option.captureCallState("errno")}:
 * the JVM may itself call into libc between the native call and any later read of {@code errno}, so reading it
 * afterwards would be wrong. The checked wrappers ({@link #open}, {@link #mmap} ...) allocate their capture buffer
 * in a confined arena per call and turn a failure into a {@link KvmException} naming the operation, the errno, and
 * what to check. {@code ioctl} is bound raw ({@link #ioctl(MemorySegment, int, long, long)}: -1 and the errno in a
 * capture buffer the caller provides), so that the hot path ({@code KVM_RUN}) allocates nothing;
 * {@link KvmIoctls} wraps it for the other ioctls with the failure text of each.
 *
 * <p>{@code ioctl(int fd, unsigned long request, ...)} and {@code open(const char *, int, ...)} are variadic; they
 * are bound with {@code Linker.Option.firstVariadicArg(2)} so the x86-64 calling convention for variadic calls is
 * followed (the linker sets {@code AL}). There are two {@code ioctl} shapes: a pointer argument (a struct, passed as
 * its {@link MemorySegment}) and a by-value {@code unsigned long} argument (vcpu id, capability number, 0).
 *
 * <p>The constants are the x86-64 Linux values (asm-generic/fcntl.h, asm-generic/mman-common.h, bits/confname.h).
 */
@SuppressWarnings("restricted")
final class Native {
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_PRIVATE = 2;
    static final int MAP_ANONYMOUS = 0x20;
    static final int _SC_PAGESIZE = 30;
    static final int SIG_BLOCK = 0;
    static final int SIG_UNBLOCK = 1;
    static final int SIG_SETMASK = 2;
    /** {@code sizeof(sigset_t)} in glibc (1024 signals); the kernel's own {@code sigset_t} is 8 bytes on x86-64. */
    static final long SIGSET_T_BYTES = 128;
    /** {@code sizeof(struct timespec)} on x86-64: {@code tv_sec}, {@code tv_nsec}. */
    static final long TIMESPEC_BYTES = 16;
    /** {@code sizeof(struct sigaction)} in glibc x86-64: handler (8), mask (128), flags (4 + 4 pad), restorer (8). */
    static final long SIGACTION_BYTES = 152;
    /** {@code MAP_FAILED}, {@code (void *) -1}. */
    static final long MAP_FAILED = -1L;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    /** Layout of the buffer {@code captureCallState} writes into; only {@code errno} is captured. */
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final Linker.Option VARIADIC_FROM_2 = Linker.Option.firstVariadicArg(2);

    // int open(const char *path, int flags, ... /* mode_t mode */)
    private static final MethodHandle OPEN = bind("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), CAPTURE_ERRNO, VARIADIC_FROM_2);
    // int close(int fd)
    private static final MethodHandle CLOSE = bind("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    // int ioctl(int fd, unsigned long request, ... /* void *arg */)
    private static final MethodHandle IOCTL_PTR = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), CAPTURE_ERRNO, VARIADIC_FROM_2);
    // int ioctl(int fd, unsigned long request, ... /* unsigned long arg */)
    private static final MethodHandle IOCTL_LONG = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), CAPTURE_ERRNO, VARIADIC_FROM_2);
    // void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
    private static final MethodHandle MMAP = bind("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG),
            CAPTURE_ERRNO);
    // int munmap(void *addr, size_t length)
    private static final MethodHandle MUNMAP = bind("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
    // long sysconf(int name)
    private static final MethodHandle SYSCONF = bind("sysconf",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT), CAPTURE_ERRNO);
    // char *strerror(int errnum)
    private static final MethodHandle STRERROR = bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    // pthread_t pthread_self(void)   (pthread_t is unsigned long)
    private static final MethodHandle PTHREAD_SELF = bind("pthread_self", FunctionDescriptor.of(JAVA_LONG));
    // int pthread_kill(pthread_t thread, int sig)            returns an error number, does not set errno
    private static final MethodHandle PTHREAD_KILL = bind("pthread_kill",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    // int pthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)   returns an error number
    private static final MethodHandle PTHREAD_SIGMASK = bind("pthread_sigmask",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    // int sigemptyset(sigset_t *set), sigaddset/sigismember(sigset_t *set, int signum)
    private static final MethodHandle SIGEMPTYSET = bind("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SIGADDSET = bind("sigaddset",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SIGISMEMBER = bind("sigismember",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    // int sigpending(sigset_t *set)
    private static final MethodHandle SIGPENDING = bind("sigpending",
            FunctionDescriptor.of(JAVA_INT, ADDRESS), CAPTURE_ERRNO);
    // int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
    private static final MethodHandle SIGTIMEDWAIT = bind("sigtimedwait",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), CAPTURE_ERRNO);
    // int sigaction(int signum, const struct sigaction *act, struct sigaction *oldact)
    private static final MethodHandle SIGACTION = bind("sigaction",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), CAPTURE_ERRNO);
    // int __libc_current_sigrtmin(void), __libc_current_sigrtmax(void): what SIGRTMIN/SIGRTMAX expand to in glibc
    private static final MethodHandle SIGRTMIN = bind("__libc_current_sigrtmin", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SIGRTMAX = bind("__libc_current_sigrtmax", FunctionDescriptor.of(JAVA_INT));

    private Native() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(
                "libc symbol '" + name + "' not found by Linker.nativeLinker().defaultLookup()"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A buffer for {@code captureCallState}; allocate one per thread of use (or per call off the hot path). */
    static MemorySegment allocateCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The {@code errno} a captured call left in {@code capture}. */
    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** Writes {@code errno} into a capture buffer, as a failed captured call would (models of KVM in tests). */
    static void errno(MemorySegment capture, int errno) {
        ERRNO.set(capture, 0L, errno);
    }

    /** {@code strerror(errno)}, e.g. "No such file or directory". */
    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "errno " + errno : s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code KvmException(operation, errno, detail + " (strerror)")}. */
    static KvmException failure(String operation, int errno, String detail) {
        return new KvmException(operation, errno, detail + " [" + strerror(errno) + "]");
    }

    // ---- files ----

    /**
     * {@code open(path, flags | O_CLOEXEC)}.
     *
     * @param operation what the caller is doing, for the exception (e.g. {@code "open /dev/kvm"})
     */
    static int open(String path, int flags, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(path), flags | O_CLOEXEC, 0);
            if (fd < 0) {
                int errno = errno(capture);
                throw failure(operation, errno, "open(\"" + path + "\", 0x" + Integer.toHexString(flags)
                        + "|O_CLOEXEC) failed; " + openHint(path, errno));
            }
            return fd;
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String openHint(String path, int errno) {
        Errno e = Errno.of(errno);
        if (e == null) {
            return "check the path and its permissions";
        }
        return switch (e) {
            case ENOENT -> path + " does not exist";
            case EACCES, EPERM -> "no permission to open " + path + " (check its owner, group and mode)";
            case ENXIO, ENODEV -> path + " exists but no driver is bound to it";
            case EMFILE, ENFILE -> "too many open files (check ulimit -n)";
            default -> "check the path and its permissions";
        };
    }

    /** {@code close(fd)}; fails with the errno (EBADF for a closed fd). */
    static void close(int fd, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            int r = (int) CLOSE.invokeExact(capture, fd);
            if (r < 0) {
                throw failure(operation, errno(capture), "close(" + fd + ") failed");
            }
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- ioctl ----

    /**
     * The raw by-value {@code ioctl} for hot paths: returns the result (-1 on failure, with the errno in
     * {@code capture}) and allocates nothing.
     */
    static int ioctl(MemorySegment capture, int fd, long request, long arg) {
        try {
            return (int) IOCTL_LONG.invokeExact(capture, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The raw pointer {@code ioctl}: returns -1 on failure with the errno in {@code capture}. */
    static int ioctl(MemorySegment capture, int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL_PTR.invokeExact(capture, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- memory ----

    /**
     * {@code mmap(NULL, length, prot, flags, fd, offset)}: the mapping's address as a zero-length segment (the
     * caller gives it a size and a lifetime with {@code reinterpret}).
     */
    static MemorySegment mmap(long length, int prot, int flags, int fd, long offset, String operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            MemorySegment p = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.NULL, length, prot, flags, fd,
                    offset);
            if (p.address() == MAP_FAILED) {
                int errno = errno(capture);
                throw failure(operation, errno, "mmap(NULL, " + length + ", prot=0x" + Integer.toHexString(prot)
                        + ", flags=0x" + Integer.toHexString(flags) + ", fd=" + fd + ", offset=" + offset
                        + ") failed; " + mmapHint(errno));
            }
            return p;
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String mmapHint(int errno) {
        Errno e = Errno.of(errno);
        if (e == null) {
            return "check the length and the fd";
        }
        return switch (e) {
            case ENODEV -> "the file does not support mapping";
            case EINVAL -> "length must be non-zero and offset page aligned";
            case ENOMEM -> "out of address space or memory (check ulimit -v)";
            case EACCES -> "the fd was not opened for the requested protection";
            case EBADF -> "the fd is not open";
            default -> "check the length and the fd";
        };
    }

    /** {@code munmap(address, length)}; returns 0 or the errno (never throws: it is called from cleanup actions). */
    static int munmap(long address, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            int r = (int) MUNMAP.invokeExact(capture, MemorySegment.ofAddress(address), length);
            return r < 0 ? errno(capture) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code sysconf(name)}. */
    static long sysconf(int name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            long r = (long) SYSCONF.invokeExact(capture, name);
            if (r < 0) {
                throw failure("sysconf", errno(capture), "sysconf(" + name + ") is not supported here");
            }
            return r;
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- threads and signals ----

    /** {@code pthread_self()}: the calling (carrier) thread's pthread handle. */
    static long pthreadSelf() {
        try {
            return (long) PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code pthread_kill(thread, sig)}: 0 or an error number (ESRCH, EINVAL). */
    static int pthreadKill(long thread, int sig) {
        try {
            return (int) PTHREAD_KILL.invokeExact(thread, sig);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code pthread_sigmask(how, set, oldset)}; either may be {@code MemorySegment.NULL}. */
    static void pthreadSigmask(int how, MemorySegment set, MemorySegment oldSet) {
        int r;
        try {
            r = (int) PTHREAD_SIGMASK.invokeExact(how, set, oldSet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != 0) {
            throw failure("pthread_sigmask", r, "how=" + how + " was refused");
        }
    }

    /** Fills {@code set} (a {@code sigset_t} of {@link #SIGSET_T_BYTES}) with exactly {@code signals}. */
    static void sigset(MemorySegment set, int... signals) {
        try {
            if ((int) SIGEMPTYSET.invokeExact(set) != 0) {
                throw new KvmException("sigemptyset", Errno.EINVAL, "sigset_t buffer refused");
            }
            for (int sig : signals) {
                if ((int) SIGADDSET.invokeExact(set, sig) != 0) {
                    throw new KvmException("sigaddset", Errno.EINVAL, "signal " + sig + " is not a valid signal");
                }
            }
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code sigismember(set, sig) == 1}. */
    static boolean sigismember(MemorySegment set, int sig) {
        try {
            return (int) SIGISMEMBER.invokeExact(set, sig) == 1;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code sigpending(set)}: the signals pending for the calling thread or the process. */
    static void sigpending(MemorySegment set) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            if ((int) SIGPENDING.invokeExact(capture, set) != 0) {
                throw failure("sigpending", errno(capture), "sigpending failed");
            }
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The raw {@code sigtimedwait(set, info, timeout)}: the signal number taken, or -1 with the errno in
     * {@code capture} (EAGAIN when none is pending within the timeout). Allocates nothing.
     */
    static int sigtimedwait(MemorySegment capture, MemorySegment set, MemorySegment info, MemorySegment timeout) {
        try {
            return (int) SIGTIMEDWAIT.invokeExact(capture, set, info, timeout);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The current handler of {@code sig} as the raw {@code sa_handler} value: 0 is {@code SIG_DFL}, 1 is
     * {@code SIG_IGN}, anything else is a handler someone installed.
     */
    static long signalHandler(int sig) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = allocateCapture(arena);
            MemorySegment old = arena.allocate(SIGACTION_BYTES, 8);
            if ((int) SIGACTION.invokeExact(capture, sig, MemorySegment.NULL, old) != 0) {
                throw failure("sigaction", errno(capture), "cannot read the disposition of signal " + sig);
            }
            return old.get(JAVA_LONG, 0);
        } catch (KvmException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** glibc's {@code SIGRTMIN} (usually 34: 32 and 33 are taken by glibc itself). */
    static int sigrtmin() {
        try {
            return (int) SIGRTMIN.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** glibc's {@code SIGRTMAX} (64 on x86-64). */
    static int sigrtmax() {
        try {
            return (int) SIGRTMAX.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Method handles declare {@code Throwable}; downcalls only throw unchecked exceptions and errors. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a native downcall", t);
    }
}
