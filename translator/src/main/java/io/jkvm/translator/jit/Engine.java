package io.jkvm.translator.jit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.jkvm.mmu.GuestMemory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The translator of one VM: the region cache shared by its vcpus, class definition, and invalidation when guest
 * code changes.
 *
 * <p>The cache is Caffeine, keyed by the guest-physical address of the region's entry, its RIP and the mode bits
 * that change translation, and bounded by weight (the bytes of the generated class), so memory stays bounded
 * whatever the guest does. Each region is a hidden class defined without {@code STRONG}, so once evicted and
 * dropped from the vcpus' jump caches nothing references it and the JVM can unload it.
 *
 * <p>Code invalidation is per page: {@link io.jkvm.mmu.CodeMap} reports pages whose translated bytes were written,
 * and every region translated from such a page is removed.
 */
public final class Engine {
    /** Default bound of the region cache: 64 MiB of generated class bytes. */
    public static final long DEFAULT_MAX_WEIGHT = 64L << 20;

    record Key(long physEntry, long rip, int modeKey) {
    }

    private static final AtomicLong CLASS_IDS = new AtomicLong();
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final MethodType CTOR = MethodType.methodType(void.class, Object[].class);

    private final GuestMemory memory;
    private final Cache<Key, Region> cache;
    private final ConcurrentHashMap<Long, Set<Key>> keysByPage = new ConcurrentHashMap<>();
    private final TranslationStats stats = new TranslationStats();
    private final AtomicLong evictions = new AtomicLong();
    /** Bumps when any region is invalidated, so vcpus can purge their jump caches lazily. */
    volatile long invalidationEpoch;

    public Engine(GuestMemory memory) {
        this(memory, DEFAULT_MAX_WEIGHT);
    }

    public Engine(GuestMemory memory, long maxWeightBytes) {
        this.memory = memory;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxWeightBytes)
                .weigher((Key k, Region r) -> r.weight)
                .executor(Runnable::run)
                .removalListener((Key k, Region r, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
                    if (r != null) {
                        r.invalidate();
                        invalidationEpoch++;
                        if (cause.wasEvicted()) {
                            evictions.incrementAndGet();
                        }
                    }
                    if (k != null && r != null) {
                        unindex(k, r);
                    }
                })
                .recordStats()
                .build();
        memory.codeMap().addListener(this::codeInvalidated);
    }

    public GuestMemory memory() {
        return memory;
    }

    public TranslationStats stats() {
        return stats;
    }

    /** Hits, misses, evictions of the region cache. */
    public CacheStats cacheStats() {
        return cache.stats();
    }

    public long evictions() {
        return evictions.get();
    }

    /** Number of regions cached now. */
    public long cachedRegions() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    Region lookup(Key key) {
        return cache.getIfPresent(key);
    }

    /** Defines the compiled class and caches the region. */
    Region install(Key key, RegionCompiler.Result result, long[] pages, long nanos) {
        CompiledRegion code = define(result);
        Region r = new Region(key, code, key.rip(), key.modeKey(), pages, result.classBytes().length,
                result.instructions());
        stats.regionsTranslated.increment();
        stats.instructionsTranslated.add(result.instructions());
        stats.bytecodeBytes.add(result.classBytes().length);
        stats.translationNanos.add(nanos);
        for (int i = 1; i < pages.length; i += 2) {
            keysByPage.computeIfAbsent(pages[i], p -> ConcurrentHashMap.newKeySet()).add(key);
        }
        cache.put(key, r);
        return r;
    }

    /**
     * Machine code translated by {@link #warmUpInBackground}: a loop of integer, memory, stack, SSE integer and
     * floating-point instructions, a call and a return (assembled with GNU as from an Intel-syntax listing kept in
     * the commit that added it). It is only translated and defined, never run.
     */
    private static final java.util.HexFormat HEX = java.util.HexFormat.of();
    private static final byte[] WARM_UP_CODE = HEX.parseHex("488b04cf4801f031d2486bc01f48c1c007488944cf08535b440fb6064183"
            + "f80a410f4cc0f30f6f06660ffec1660f70d01bf20f101ff20f59dcf20f58ddf2480f2af0f20f115f10f30f7f56204883e901"
            + "75aee800000000c3");
    private static final java.util.concurrent.atomic.AtomicBoolean WARMING = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Starts, once per JVM, a daemon thread that translates and defines a small region. The first translation in a
     * fresh JVM costs about 0.3 s of class loading and initialisation (decoder tables, emitter tables, ASM, the
     * semantic classes {@link BytecodeInliner} reads); a VMM calls this when it opens the JIT backend, so that the
     * cost overlaps with its own setup (allocating RAM, loading the image) on another core. Failures are ignored:
     * the real translation will report them.
     */
    public static void warmUpInBackground() {
        if (!WARMING.compareAndSet(false, true)) {
            return;
        }
        Thread.ofPlatform().daemon().name("jkvm-jit-warm-up").start(() -> {
            try {
                warmUpRegion();
            } catch (RuntimeException | LinkageError e) {
                // nothing to do: only a head start
            }
        });
    }

    /** Translates and defines the warm-up region (the work of {@link #warmUpInBackground}). */
    static CompiledRegion warmUpRegion() {
        long base = 0x1000;
        RegionCompiler rc = new RegionCompiler(io.jkvm.translator.decoder.CodeSize.BITS64, 3, 8, base, (rip, buf) -> {
            int at = (int) (rip - base);
            int n = Math.max(0, Math.min(buf.length, WARM_UP_CODE.length - at));
            System.arraycopy(WARM_UP_CODE, Math.max(0, at), buf, 0, n);
            return n;
        }, RegionCompiler.MAX_INSTRUCTIONS);
        return define(rc.compile(nextClassName()));
    }

    /** A fresh internal name for a generated class (hidden classes must live in this package). */
    static String nextClassName() {
        return "io/jkvm/translator/jit/Region$" + CLASS_IDS.incrementAndGet();
    }

    /** Defines and instantiates a compiled region's hidden class (not strongly reachable from its loader). */
    static CompiledRegion define(RegionCompiler.Result result) {
        byte[] bytes = result.classBytes();
        try {
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClass(bytes, true);
            MethodHandle ctor = hidden.findConstructor(hidden.lookupClass(), CTOR);
            return (CompiledRegion) ctor.invoke(result.constants());
        } catch (Throwable e) {
            throw new IllegalStateException("generated class for region at 0x"
                    + Long.toHexString(result.entry()) + " was rejected: " + e, e);
        }
    }

    private void codeInvalidated(long page) {
        Set<Key> keys = keysByPage.remove(page);
        if (keys == null) {
            return;
        }
        for (Key k : keys) {
            Region r = cache.asMap().remove(k);
            if (r != null) {
                r.invalidate();
                stats.invalidations.increment();
            }
        }
        invalidationEpoch++;
    }

    private void unindex(Key key, Region r) {
        for (int i = 1; i < r.pages.length; i += 2) {
            Set<Key> keys = keysByPage.get(r.pages[i]);
            if (keys != null) {
                keys.remove(key);
            }
        }
    }

    /** A snapshot of the cached regions (tests). */
    java.util.List<Region> regionsForTest() {
        return java.util.List.copyOf(cache.asMap().values());
    }

    /** Drops every cached region (tests, and slot changes that remove memory). */
    public void invalidateAll() {
        cache.invalidateAll();
        keysByPage.clear();
        invalidationEpoch++;
    }
}
