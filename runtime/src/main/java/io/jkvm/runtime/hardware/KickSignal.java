package io.jkvm.runtime.hardware;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;

/**
 * The real-time signal that kicks a vcpu thread out of {@code KVM_RUN} (see {@link HardwareVcpu} for the protocol).
 *
 * <p><b>Which signal.</b> HotSpot on Linux uses SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGTRAP (implicit exceptions
 * and patching), SIGPIPE and SIGXFSZ (ignored), SIGQUIT (thread dumps), SIGHUP/SIGINT/SIGTERM (shutdown hooks) and
 * SIGUSR2 (thread suspend/resume, {@code _JAVA_SR_SIGNUM}). The JDK's NIO takes one real-time signal,
 * {@code SIGRTMAX - 2}, to wake threads blocked in I/O when they are interrupted or their channel is closed
 * ({@code sun.nio.ch.NativeThread}; found here by the check below, which failed when that was the default). glibc
 * takes 32 and 33 for itself (cancellation, setxid), below {@code SIGRTMIN}. Libraries that use real-time signals
 * usually count up from {@code SIGRTMIN} (kvmtool, Firecracker and cloud-hypervisor kick vcpus with
 * {@code SIGRTMIN + n}), so the default here is {@code SIGRTMAX - 4}, near the little-used top but clear of NIO's.
 * The system property {@value #PROPERTY} overrides it with a number or {@code SIGRTMIN+n} / {@code SIGRTMAX-n}.
 *
 * <p><b>No handler.</b> The signal keeps its default disposition: it is only ever sent to a thread that blocks it,
 * and is only unblocked inside {@code KVM_RUN} by {@code KVM_SET_SIGNAL_MASK}, where KVM treats it like
 * {@code sigtimedwait} does (Linux 4.15, commit 20b7035c66ba "KVM: Let KVM_SET_SIGNAL_MASK work as advertised"):
 * it ends {@code KVM_RUN} with EINTR and stays pending, and the vcpu thread then takes it with
 * {@code sigtimedwait}. So no Java code ever runs in signal context. If another component installed a handler for
 * the chosen signal, opening the backend fails rather than steal its signals.
 */
final class KickSignal {
    /** System property naming the kick signal, e.g. {@code 60} or {@code SIGRTMAX-4}. */
    static final String PROPERTY = "jkvm.hardware.kickSignal";

    /** The default is {@code SIGRTMAX - 4}: {@code SIGRTMAX - 2} is the JDK NIO's interrupt signal. */
    static final int DEFAULT_BELOW_RTMAX = 4;

    private static volatile int resolved;

    private KickSignal() {
    }

    /** The kick signal's number, resolved once from {@value #PROPERTY} or the default. */
    static int number() {
        int n = resolved;
        if (n == 0) {
            synchronized (KickSignal.class) {
                n = resolved;
                if (n == 0) {
                    n = parse(System.getProperty(PROPERTY), Native.sigrtmin(), Native.sigrtmax());
                    resolved = n;
                }
            }
        }
        return n;
    }

    /**
     * Parses a signal specification; {@code null} or blank gives the default {@code SIGRTMAX - 4}. Only real-time
     * signals ({@code SIGRTMIN..SIGRTMAX}) are accepted: the classic ones all have users in a JVM process.
     */
    static int parse(String spec, int rtmin, int rtmax) {
        int n;
        if (spec == null || spec.isBlank()) {
            n = rtmax - DEFAULT_BELOW_RTMAX;
        } else {
            String s = spec.strip().toUpperCase(java.util.Locale.ROOT);
            try {
                if (s.startsWith("SIGRTMIN")) {
                    n = rtmin + offset(s.substring(8));
                } else if (s.startsWith("SIGRTMAX")) {
                    n = rtmax + offset(s.substring(8));
                } else {
                    n = Integer.parseInt(s);
                }
            } catch (NumberFormatException e) {
                throw new KvmException("open /dev/kvm", Errno.EINVAL, PROPERTY + "='" + spec
                        + "' is not a signal: use a number or SIGRTMIN+n / SIGRTMAX-n");
            }
        }
        if (n < rtmin || n > rtmax) {
            throw new KvmException("open /dev/kvm", Errno.EINVAL, PROPERTY + "='" + spec + "' gives signal " + n
                    + ", outside the real-time signals " + rtmin + ".." + rtmax
                    + " (the classic signals are used by the JVM or the C library)");
        }
        return n;
    }

    private static int offset(String rest) {
        if (rest.isEmpty()) {
            return 0;
        }
        if (rest.charAt(0) != '+' && rest.charAt(0) != '-') {
            throw new NumberFormatException(rest);
        }
        int v = Integer.parseInt(rest.substring(1));
        return rest.charAt(0) == '+' ? v : -v;
    }

    /**
     * Checks that nobody installed a handler for the kick signal (its disposition is {@code SIG_DFL} or
     * {@code SIG_IGN}); fails with EBUSY naming the property to choose another one.
     */
    static void checkUnclaimed(int sig) {
        long handler = Native.signalHandler(sig);
        if (handler != 0 && handler != 1) {
            throw new KvmException("open /dev/kvm", Errno.EBUSY, "signal " + sig + " (the vcpu kick signal) already "
                    + "has a handler installed by another component of this process; choose a free real-time signal "
                    + "with -D" + PROPERTY + "=SIGRTMAX-n");
        }
    }
}
