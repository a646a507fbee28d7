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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The jit backend's block-cache lookup: what {@code JitVcpu} does each time control leaves a region through an
 * indirect branch (a return, an indirect jump or call). The lookup is not public, so the benchmark drives it the
 * only way a guest can: a ring of 64 tiny regions, each of which decrements RDX and jumps <em>indirectly</em>
 * (through a table in memory) to the next, so every region exit is one dispatch.
 *
 * <pre>
 * entry_i:  dec rdx                          48 ff ca
 *           jz  1f                           74 07
 *           jmp qword ptr [table + 8*(i+1)]  ff 24 25 imm32     (table[i+1] = entry_{i+1}, wrapping)
 *     1:    hlt                              f4
 *           int3 x 3                         cc cc cc           (padding to 16 bytes, never executed)
 * </pre>
 *
 * {@code jumpCache=hit}: the entries are 16 bytes apart, each in its own slot of the per-vcpu jump cache
 * (direct-mapped, 4,096 slots, slot = (rip ^ rip >>> 12) & 0xfff), so every dispatch hits it.
 * {@code jumpCache=miss}: the same 64 regions, placed in pairs that share a slot (entry 2k at page 0x10 offset
 * 16k, entry 2k+1 at page 0x11 offset 16k + 1) and visited alternately, so every dispatch misses the jump cache
 * and goes to the VM's Caffeine region cache plus the page check of the region found there. The regions are the
 * same and equally hot in both cases, so the difference is the cost of a jump-cache miss. The layout follows the
 * current hash in {@code JitVcpu}; the tear-down prints the vcpu's cache counters and warns if the hit/miss
 * pattern is not the intended one (a changed hash, or region chaining that bypasses the lookup).
 *
 * <p>The score is per dispatch and includes running the region's three instructions.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xss16m"})
@State(Scope.Thread)
public class DispatchBenchmark {
    static final int DISPATCHES = 1 << 16;
    static final int TARGETS = 64;
    static final long TABLE = 0x200000;

    /** {@code hit}: every dispatch hits the jump cache; {@code miss}: every dispatch misses it. */
    @Param({"hit", "miss"})
    public String jumpCache;

    private TinyVm vm;

    /** Guest address of the region at ring position {@code i}. */
    private long entry(int i) {
        if (jumpCache.equals("hit")) {
            return TinyVm.CODE + 16L * i;                      // TinyVm.CODE = 0x10000: page 0x10
        }
        int k = i / 2;
        return (i % 2 == 0) ? TinyVm.CODE + 16L * k             // slot 16k ^ 0x10
                : TinyVm.CODE + 0x1000 + 16L * k + 1;           // (16k + 1) ^ 0x11 = 16k ^ 0x10: the same slot
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (!jumpCache.equals("hit") && !jumpCache.equals("miss")) {
            throw new IllegalArgumentException("jumpCache must be hit or miss, not " + jumpCache);
        }
        vm = new TinyVm(Backend.JIT, 4L << 20);
        ByteBuffer table = ByteBuffer.allocate(TARGETS * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < TARGETS; i++) {
            ByteBuffer code = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            code.put(TinyVm.hex("48ffca 7407 ff2425"));
            code.putInt((int) (TABLE + 8L * ((i + 1) % TARGETS)));
            code.put(TinyVm.hex("f4 cccccc"));
            vm.load(entry(i), code.array());
            table.putLong(entry(i));
        }
        vm.load(TABLE, table.array());
    }

    @Benchmark
    @OperationsPerInvocation(DISPATCHES)
    public void indirectJumpRing() {
        vm.startAt(entry(0)).rdx(DISPATCHES);
        vm.enter();
        vm.runExpecting(ExitReason.HLT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        // Evidence for the claim above: the jit vcpu's own cache counters over the whole trial.
        Map<String, Object> stats = vm.vcpu.statistics();
        StringBuilder sb = new StringBuilder("\ndispatch counters, jumpCache=" + jumpCache + ":");
        stats.forEach((k, v) -> {
            if (k.contains("cache") || k.contains("translated")) {
                sb.append(' ').append(k).append('=').append(v);
            }
        });
        System.out.println(sb);
        if (stats.get("jump_cache_hits") instanceof Number hits && stats.get("jump_cache_misses") instanceof Number misses) {
            double hitRate = hits.doubleValue() / Math.max(1, hits.doubleValue() + misses.doubleValue());
            if (jumpCache.equals("hit") ? hitRate < 0.9 : hitRate > 0.1) {
                System.out.printf(Locale.ROOT, "WARNING: jump-cache hit rate %.3f with jumpCache=%s: the layout no"
                        + " longer produces the intended pattern (JitVcpu's hash or dispatch changed)%n", hitRate,
                        jumpCache);
            }
        }
        vm.close();
    }
}
