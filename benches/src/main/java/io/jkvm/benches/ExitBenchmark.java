package io.jkvm.benches;

import io.jkvm.abi.ExitReason;
import io.jkvm.abi.KvmRun;
import io.jkvm.runtime.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The exit round trip: guest {@code out} to an I/O port, {@code KVM_EXIT_IO} to userspace, {@code KVM_RUN} again.
 * The guest is an endless loop of {@code out dx, al} to port 0x80 (the POST diagnostic port firmware writes to),
 * so each benchmark operation is one {@link io.jkvm.runtime.Vcpu#run()} returning one IO exit: the score is
 * exits per second. Userspace does the minimum a VMM does (read the exit reason and port from {@code kvm_run}).
 *
 * <p>On {@code hardware} this is a real VM exit plus two ioctl returns; on {@code jit} it is leaving generated
 * code, filling the shared {@code kvm_run} area and re-entering the dispatcher. The {@code hardware} value needs
 * {@code /dev/kvm}: {@link Suite} leaves it out (and says so) where the backend is unavailable; run directly, the
 * setup fails with the backend's reason.
 *
 * <pre>
 *     mov edx, 0x80    ba 80 00 00 00
 * 1:  out dx, al       ee
 *     jmp 1b           eb fd
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xss16m"})
@State(Scope.Thread)
public class ExitBenchmark {
    static final byte[] OUT_LOOP = TinyVm.hex("ba80000000 ee ebfd");
    static final int PORT = 0x80;

    @Param({"jit", "hardware"})
    public String backend;

    private TinyVm vm;

    @Setup(Level.Trial)
    public void setUp() {
        vm = new TinyVm(Backend.fromName(backend), 2L << 20);
        vm.load(TinyVm.CODE, OUT_LOOP);
        vm.startAt(TinyVm.CODE);
        vm.enter();
    }

    @Benchmark
    public int outExit() {
        KvmRun run = vm.vcpu.run();
        if (run.exit() != ExitReason.IO || run.io().port() != PORT) {
            throw new IllegalStateException("expected an IO exit on port 0x80, got " + run.exit());
        }
        return run.io().port();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vm.close();
    }
}
