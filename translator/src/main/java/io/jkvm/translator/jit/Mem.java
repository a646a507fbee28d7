package io.jkvm.translator.jit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The guest memory fast path that generated code calls for every load and store. Each method is small enough for
 * C2 to inline: index the software TLB with the virtual page, compare the tag, and on a hit access host memory at
 * {@code vaddr + addend} through {@link #ALL}, a segment spanning the whole address space. Everything else (a miss,
 * an access crossing a page, MMIO, a write-protected or code page) goes to {@link MemoryPort}'s slow path.
 *
 * <p>The tag is compared against the page of the access's LAST byte while the index comes from its first byte:
 * an entry can only ever hold a page with its own index, so an access that crosses into the next page can never
 * match and falls to the slow path without a separate boundary test.
 *
 * <p>Entries are installed only for pages of RAM slots, whose host memory stays valid while the slot exists; slot
 * changes flush every TLB before the next block runs.
 */
public final class Mem {
    /** The whole host address space; TLB addends turn guest virtual addresses into offsets of it. */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /**
     * Direct access handles for generated code. Region code probes the TLB itself and calls these
     * {@link java.lang.invoke.VarHandle}s: their invokers are {@code @ForceInline}, so C2 inlines them even in large
     * regions, where calls to a helper such as {@link #ld32} hit C2's inlining budget ({@code DesiredMethodLimit},
     * 8,000 bytecode bytes per compilation; one segment access through a helper costs about 800 of them).
     */
    public static final java.lang.invoke.VarHandle H8 = U8.varHandle();
    public static final java.lang.invoke.VarHandle H16 = U16.varHandle();
    public static final java.lang.invoke.VarHandle H32 = U32.varHandle();
    public static final java.lang.invoke.VarHandle H64 = U64.varHandle();

    /** Internal name of the JDK's own {@code Unsafe}, whose accessors are intrinsics in every HotSpot tier. */
    static final String UNSAFE = "jdk/internal/misc/Unsafe";

    /**
     * Whether regions access guest RAM through {@code jdk.internal.misc.Unsafe} rather than {@link #H8}..{@link #H64}.
     * Both reach the same host address after the same TLB probe (the segment {@link #ALL} has no bounds or
     * liveness to check either); the difference is cost. A segment {@code VarHandle} access is about 800 bytes of
     * force-inlined bytecode: the interpreter runs it as a dozen calls, C1's profiled tier turns it into kilobytes
     * of machine code, and C2 spends its compile time folding it away, for every load and store of a region. An
     * {@code Unsafe} accessor is one intrinsic call in all three. It needs
     * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} (bin/jkvm and the build pass it); without the
     * export, or with {@code -Djkvm.rawMemory=false}, regions use the {@code VarHandle}s.
     */
    public static final boolean RAW_ACCESS = !"false".equals(System.getProperty("jkvm.rawMemory"))
            && Object.class.getModule().isExported("jdk.internal.misc", Mem.class.getModule());

    static final int TLB_BITS = 12;
    static final int TLB_MASK = (1 << TLB_BITS) - 1;
    static final long PAGE_MASK = ~0xfffL;

    private Mem() {
    }

    private static int slot(long va) {
        return ((int) (va >>> 12) & TLB_MASK) << 1;
    }

    public static long ld8(long[] t, long user, MemoryPort m, long va) {
        int i = slot(va);
        if (t[i] == ((va & PAGE_MASK) | user)) {
            return ALL.get(U8, va + t[i + 1]) & 0xffL;
        }
        return m.loadSlow(va, 1);
    }

    public static long ld16(long[] t, long user, MemoryPort m, long va) {
        int i = slot(va);
        if (t[i] == (((va + 1) & PAGE_MASK) | user)) {
            return ALL.get(U16, va + t[i + 1]) & 0xffffL;
        }
        return m.loadSlow(va, 2);
    }

    public static long ld32(long[] t, long user, MemoryPort m, long va) {
        int i = slot(va);
        if (t[i] == (((va + 3) & PAGE_MASK) | user)) {
            return ALL.get(U32, va + t[i + 1]) & 0xffffffffL;
        }
        return m.loadSlow(va, 4);
    }

    public static long ld64(long[] t, long user, MemoryPort m, long va) {
        int i = slot(va);
        if (t[i] == (((va + 7) & PAGE_MASK) | user)) {
            return ALL.get(U64, va + t[i + 1]);
        }
        return m.loadSlow(va, 8);
    }

    public static void st8(long[] t, long user, MemoryPort m, long va, long v) {
        int i = slot(va);
        if (t[i] == ((va & PAGE_MASK) | user)) {
            ALL.set(U8, va + t[i + 1], (byte) v);
        } else {
            m.storeSlow(va, 1, v);
        }
    }

    public static void st16(long[] t, long user, MemoryPort m, long va, long v) {
        int i = slot(va);
        if (t[i] == (((va + 1) & PAGE_MASK) | user)) {
            ALL.set(U16, va + t[i + 1], (short) v);
        } else {
            m.storeSlow(va, 2, v);
        }
    }

    public static void st32(long[] t, long user, MemoryPort m, long va, long v) {
        int i = slot(va);
        if (t[i] == (((va + 3) & PAGE_MASK) | user)) {
            ALL.set(U32, va + t[i + 1], (int) v);
        } else {
            m.storeSlow(va, 4, v);
        }
    }

    public static void st64(long[] t, long user, MemoryPort m, long va, long v) {
        int i = slot(va);
        if (t[i] == (((va + 7) & PAGE_MASK) | user)) {
            ALL.set(U64, va + t[i + 1], v);
        } else {
            m.storeSlow(va, 8, v);
        }
    }

    /** Raw host access for slow paths that already resolved a host address. */
    public static long hostLoad(long hostAddress, int size) {
        return switch (size) {
            case 1 -> ALL.get(U8, hostAddress) & 0xffL;
            case 2 -> ALL.get(U16, hostAddress) & 0xffffL;
            case 4 -> ALL.get(U32, hostAddress) & 0xffffffffL;
            default -> ALL.get(U64, hostAddress);
        };
    }

    public static void hostStore(long hostAddress, int size, long v) {
        switch (size) {
            case 1 -> ALL.set(U8, hostAddress, (byte) v);
            case 2 -> ALL.set(U16, hostAddress, (short) v);
            case 4 -> ALL.set(U32, hostAddress, (int) v);
            default -> ALL.set(U64, hostAddress, v);
        }
    }
}
