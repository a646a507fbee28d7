package io.jkvm.benches;

import io.jkvm.abi.ExitReason;
import io.jkvm.runtime.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The jit backend's block-cache lookup: what {@code JitVcpu} does each time control leaves a region through an
 * indirect branch (a return, an indirect jump or call). The lookup is not public, so the benchmark drives it the
 * only way a guest can: a ring of {@code targets} tiny regions, each of which decrements RDX and jumps
 * <em>indirectly</em> (through a table in memory) to the next, so every region exit is one dispatch.
 *
 * <pre>
 * entry_i:  dec rdx                          48 ff ca
 *           jz  1f                           74 07
 *           jmp qword ptr [table + 8*(i+1)]  ff 24 25 imm32     (table[i+1] = entry_{i+1}, wrapping)
 *     1:    hlt                              f4
 *           int3 x 3                         cc cc cc           (padding to 16 bytes, never executed)
 * </pre>
 *
 * With 64 targets every dispatch hits the per-vcpu jump cache (direct-mapped, 4,096 slots). With 8,192 targets
 * spaced 16 bytes apart, exactly two entries share each slot and the ring visits them alternately, so every
 * dispatch misses the jump cache and goes to the VM's Caffeine region cache (plus the page check of a region found
 * there). The score is per dispatch and includes running the region's three instructions; the difference between
 * the two parameters is the cost of a jump-cache miss. All regions are translated during warm-up.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xss16m"})
@State(Scope.Thread)
public class DispatchBenchmark {
    static final int DISPATCHES = 1 << 16;
    static final long TABLE = 0x200000;
    static final int ENTRY_BYTES = 16;

    /** Distinct region entries on the ring: 64 (jump-cache hits) or 8192 (jump-cache misses, region-cache hits). */
    @Param({"64", "8192"})
    public int targets;

    private TinyVm vm;

    @Setup(Level.Trial)
    public void setUp() {
        vm = new TinyVm(Backend.JIT, 4L << 20);
        ByteBuffer code = ByteBuffer.allocate(targets * ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer table = ByteBuffer.allocate(targets * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < targets; i++) {
            code.put(TinyVm.hex("48ffca 7407 ff2425"));
            code.putInt((int) (TABLE + 8L * ((i + 1) % targets)));
            code.put(TinyVm.hex("f4 cccccc"));
            table.putLong(TinyVm.CODE + (long) ENTRY_BYTES * i);
        }
        vm.load(TinyVm.CODE, code.array()).load(TABLE, table.array());
        if (targets * ENTRY_BYTES > TABLE - TinyVm.CODE) {
            throw new IllegalArgumentException("too many targets for the code area: " + targets);
        }
    }

    @Benchmark
    @OperationsPerInvocation(DISPATCHES)
    public void indirectJumpRing() {
        vm.startAt(TinyVm.CODE).rdx(DISPATCHES);
        vm.enter();
        vm.runExpecting(ExitReason.HLT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        // Evidence for the claim above: the jit vcpu's own cache counters over the whole trial.
        StringBuilder sb = new StringBuilder("\ndispatch counters, targets=" + targets + ":");
        vm.vcpu.statistics().forEach((k, v) -> {
            if (k.contains("cache") || k.contains("translated")) {
                sb.append(' ').append(k).append('=').append(v);
            }
        });
        System.out.println(sb);
        vm.close();
    }
}
