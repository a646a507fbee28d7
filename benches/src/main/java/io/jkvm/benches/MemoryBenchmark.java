package io.jkvm.benches;

import io.jkvm.abi.ExitReason;
import io.jkvm.mmu.GuestMemory;
import io.jkvm.runtime.Backend;
import io.jkvm.translator.jit.Engine;
import io.jkvm.translator.jit.JitMemory;
import io.jkvm.translator.jit.JitVcpu;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The memory fast path of the jit backend: guest loads and stores to ordinary RAM, which translated code performs
 * as an inline software-TLB probe plus a {@code VarHandle} access (see NOTES.md, "Memory").
 *
 * <ul>
 *   <li>{@link #guestLoadStore}: a guest loop that loads a quadword, adds, stores it back and steps 8 bytes through
 *       a working set ({@code workingSet} bytes, wrapping): 2 memory accesses and 7 instructions per iteration.
 *       The score is per access, loop overhead included;</li>
 *   <li>{@link #guestRegisterBaseline}: the same loop with the load and store replaced by register moves, scored
 *       the same way, so {@code guestLoadStore - guestRegisterBaseline} is what the two accesses add;</li>
 *   <li>{@link #jitMemoryReadWrite}: the {@link JitMemory} API called from Java ({@code read}/{@code write}, the
 *       entry points of helpers and slow paths, which go through the same TLB probe), per access.</li>
 * </ul>
 * A working set up to 16 MiB stays within the 4,096-entry TLB, so every access takes the fast path after the first
 * pass: this measures the fast path, not the page walk.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xss16m"})
@State(Scope.Thread)
public class MemoryBenchmark {
    /** Loop iterations per benchmark invocation. */
    static final int ITERATIONS = 1 << 20;
    static final int ACCESSES = 2 * ITERATIONS;
    static final long LOAD_STORE = TinyVm.CODE;
    static final long REGISTERS = TinyVm.CODE + 0x100;
    /** Guest-physical (= virtual) address of the data the loops touch. */
    static final long DATA = 0x200000;

    /** Bytes the loop walks through (a power of two): 4 KiB stays in L1, 1 MiB spans 256 pages. */
    @Param({"4096", "1048576"})
    public int workingSet;

    /*
     * memloop: (rsi = DATA, rcx = 0, rdx = iterations, r8 = workingSet - 8)
     * 1:  mov rax, qword ptr [rsi + rcx]    48 8b 04 0e
     *     add rax, rdx                      48 01 d0
     *     mov qword ptr [rsi + rcx], rax    48 89 04 0e
     *     add rcx, 8                        48 83 c1 08
     *     and rcx, r8                       4c 21 c1
     *     dec rdx                           48 ff ca
     *     jnz 1b                            75 e9
     *     hlt                               f4
     */
    static final byte[] LOAD_STORE_LOOP = TinyVm.hex("488b040e 4801d0 4889040e 4883c108 4c21c1 48ffca 75e9 f4");
    /*
     * regloop: the same with the memory operands replaced by rbx
     * 1:  mov rax, rbx                      48 89 d8
     *     add rax, rdx                      48 01 d0
     *     mov rbx, rax                      48 89 c3
     *     add rcx, 8                        48 83 c1 08
     *     and rcx, r8                       4c 21 c1
     *     dec rdx                           48 ff ca
     *     jnz 1b                            75 eb
     *     hlt                               f4
     */
    static final byte[] REGISTER_LOOP = TinyVm.hex("4889d8 4801d0 4889c3 4883c108 4c21c1 48ffca 75eb f4");

    private TinyVm vm;

    private Arena arena;
    private JitMemory memory;
    private long mask;

    @Setup(Level.Trial)
    public void setUp() {
        vm = new TinyVm(Backend.JIT, 4L << 20);
        vm.load(LOAD_STORE, LOAD_STORE_LOOP).load(REGISTERS, REGISTER_LOOP);

        // A bare JIT vcpu for the JitMemory API: real mode, no paging, so linear = physical. RAM in slot 0.
        arena = Arena.ofShared();
        MemorySegment ram = arena.allocate(4L << 20, 4096);
        GuestMemory guestMemory = new GuestMemory(32);
        guestMemory.setUserMemoryRegion(0, 0, 0, ram.byteSize(), ram);
        JitVcpu bare = new JitVcpu(new Engine(guestMemory));
        bare.mmu().sync();
        memory = bare.memory();
        mask = workingSet - 8;
    }

    private void runLoop(long start) {
        vm.startAt(start).rsi(DATA).rcx(0).rdx(ITERATIONS).r8(workingSet - 8);
        vm.enter();
        vm.runExpecting(ExitReason.HLT);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void guestLoadStore() {
        runLoop(LOAD_STORE);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void guestRegisterBaseline() {
        runLoop(REGISTERS);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long jitMemoryReadWrite() {
        JitMemory m = memory;
        long sum = 0;
        long offset = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            long va = DATA + offset;
            long v = m.read(va, 8) + i;
            m.write(va, 8, v);
            sum += v;
            offset = (offset + 8) & mask;
        }
        return sum; // returned to JMH's blackhole: the loop cannot be removed
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vm.close();
        arena.close();
    }
}
