package io.jkvm.benches;

import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.CodeSize;
import io.jkvm.translator.decoder.DecodeException;
import io.jkvm.translator.decoder.Decoder;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.jit.CodeSource;
import io.jkvm.translator.jit.CompiledRegion;
import io.jkvm.translator.jit.Engine;
import io.jkvm.translator.jit.RegionCompiler;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.Blackhole;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Translation throughput, stage by stage, over the real code of a guest image (default {@code sha256}: every
 * gcc-compiled function of its {@code .text}, see {@link GuestCode}).
 *
 * <ul>
 *   <li>{@link #decode}: {@link Decoder#decode} of every instruction of every function (a linear sweep, as
 *       objdump does), nothing else;</li>
 *   <li>{@link #generate}: {@link RegionCompiler#compile} of one region per function entry with the full region
 *       budget (what the JIT's second tier translates): region discovery (which decodes again), emitters, ASM
 *       class writing; the result is the class bytes;</li>
 *   <li>{@link #define}: {@code Lookup.defineHiddenClass} of those class bytes plus the constructor call, as the
 *       engine does (HotSpot parses and verifies the class here);</li>
 *   <li>{@link #endToEnd}: generate then define, i.e. the cost of a region-cache miss minus the cache insert.</li>
 * </ul>
 *
 * <p>One benchmark operation translates the whole image once. The score to read is the aux counter
 * {@code instructions} (guest instructions per second; for {@code decode} every decoded instruction, for the other
 * stages the instructions of the regions produced); {@code bytecodeBytes} is the rate of generated class bytes, so
 * {@code bytecodeBytes / instructions} is the bytecode size per guest instruction (the suite's summary prints it).
 * Translation runs in 64-bit mode, CPL 3, SSE usable: the state the compute guests run in.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xss16m"})
@State(Scope.Thread)
public class TranslationBenchmark {

    /** Guest whose code is translated (any ELF guest of the index works). */
    @Param({"sha256"})
    public String guest;

    /** Per-iteration counters that JMH reports as rates next to the primary score. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        /** Guest instructions handled. */
        public long instructions;
        /** Bytes of generated class files (0 for decode). */
        public long bytecodeBytes;

        @Setup(Level.Iteration)
        public void reset() {
            instructions = 0;
            bytecodeBytes = 0;
        }
    }

    private GuestCode code;
    private CodeSource source;
    /** Offsets in .text of every instruction start found by a linear sweep of each function. */
    private int[] instructionOffsets;
    /** Region entries: function entries whose region compiles. */
    private long[] entries;
    /** Pre-generated regions for the define stage, and their instruction count. */
    private RegionCompiler.Result[] generated;
    private long generatedInstructions;
    private long generatedBytes;
    private MethodHandles.Lookup jitPackage;

    /** Internal name for generated classes: hidden classes must be in the package of the defining lookup. */
    private static final String CLASS_NAME = "io/jkvm/translator/jit/BenchRegion";
    /** Constructor shape of generated regions (the engine passes the region's constants array). */
    private static final MethodType CTOR = MethodType.methodType(void.class, Object[].class);

    @Setup(Level.Trial)
    public void setUp() throws IllegalAccessException {
        code = GuestCode.load(guest);
        byte[] text = code.text();
        long base = code.textAddress();
        // Code fetch from the image: a fetch outside .text faults, as an unmapped page would.
        source = (rip, buf) -> {
            long off = rip - base;
            if (off < 0 || off >= text.length) {
                throw GuestException.pf(rip, 0x14); // not present, user, instruction fetch
            }
            int n = (int) Math.min(buf.length, text.length - off);
            System.arraycopy(text, (int) off, buf, 0, n);
            return n;
        };

        List<Integer> offsets = new ArrayList<>();
        for (GuestCode.Function f : code.functions()) {
            int off = code.offsetOf(f.address());
            int end = Math.min(text.length, off + f.size());
            while (off < end) {
                try {
                    Instruction insn = Decoder.decode(text, off, end - off, base + off, CodeSize.BITS64);
                    offsets.add(off);
                    off += insn.length();
                } catch (DecodeException e) {
                    break; // data or padding gcc left in the function: stop the sweep here
                }
            }
        }
        instructionOffsets = offsets.stream().mapToInt(Integer::intValue).toArray();

        List<Long> ok = new ArrayList<>();
        List<RegionCompiler.Result> results = new ArrayList<>();
        for (GuestCode.Function f : code.functions()) {
            try {
                results.add(compile(f.address()));
                ok.add(f.address());
            } catch (GuestException e) {
                // the entry instruction itself is not executable by the JIT: not a region the guest can have
            }
        }
        entries = ok.stream().mapToLong(Long::longValue).toArray();
        generated = results.toArray(RegionCompiler.Result[]::new);
        for (RegionCompiler.Result r : generated) {
            generatedInstructions += r.instructions();
            generatedBytes += r.classBytes().length;
        }
        // Hidden classes must be defined through a lookup in io.jkvm.translator.jit, as the engine's own lookup
        // is. The benches run on the class path (one unnamed module), so a private lookup there is allowed.
        jitPackage = MethodHandles.privateLookupIn(Engine.class, MethodHandles.lookup());
        System.out.printf(Locale.ROOT, "%n%s: %d functions, %d instructions decoded; %d regions of %d instructions,"
                        + " %d class bytes = %.1f bytecode bytes per guest instruction%n", guest,
                code.functions().size(), instructionOffsets.length, entries.length, generatedInstructions,
                generatedBytes, (double) generatedBytes / generatedInstructions);
    }

    private RegionCompiler.Result compile(long entry) {
        return new RegionCompiler(CodeSize.BITS64, 3, 8, entry, source, Integer.MAX_VALUE).withSse(true)
                .compile(CLASS_NAME);
    }

    private CompiledRegion define(RegionCompiler.Result r) {
        try {
            MethodHandles.Lookup hidden = jitPackage.defineHiddenClass(r.classBytes(), true);
            MethodHandle ctor = hidden.findConstructor(hidden.lookupClass(), CTOR);
            return (CompiledRegion) ctor.invoke(r.constants());
        } catch (Throwable e) {
            throw new IllegalStateException("region at 0x" + Long.toHexString(r.entry()) + " was rejected", e);
        }
    }

    @Benchmark
    public void decode(Counters c, Blackhole bh) throws DecodeException {
        byte[] text = code.text();
        long base = code.textAddress();
        for (int off : instructionOffsets) {
            bh.consume(Decoder.decode(text, off, text.length - off, base + off, CodeSize.BITS64));
        }
        c.instructions += instructionOffsets.length;
    }

    @Benchmark
    public void generate(Counters c, Blackhole bh) {
        for (long entry : entries) {
            RegionCompiler.Result r = compile(entry);
            c.instructions += r.instructions();
            c.bytecodeBytes += r.classBytes().length;
            bh.consume(r);
        }
    }

    @Benchmark
    public void define(Counters c, Blackhole bh) {
        for (RegionCompiler.Result r : generated) {
            bh.consume(define(r));
        }
        c.instructions += generatedInstructions;
        c.bytecodeBytes += generatedBytes;
    }

    @Benchmark
    public void endToEnd(Counters c, Blackhole bh) {
        for (long entry : entries) {
            RegionCompiler.Result r = compile(entry);
            bh.consume(define(r));
            c.instructions += r.instructions();
            c.bytecodeBytes += r.classBytes().length;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        generated = null;
    }
}
