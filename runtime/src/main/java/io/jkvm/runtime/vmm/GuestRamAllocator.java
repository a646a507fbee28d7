package io.jkvm.runtime.vmm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Allocates guest RAM: page-aligned native memory whose lifetime is an {@link Arena}'s. On Linux it is an anonymous
 * private mapping ({@code mmap(MAP_ANONYMOUS | MAP_NORESERVE)}, unmapped when the arena closes), as a C VMM does: the
 * pages are zero and the host only commits the ones the guest touches, so 256 MiB of guest RAM costs what the guest
 * uses. Where {@code mmap} is not available it falls back to {@link Arena#allocate(long, long)} (zeroed, committed).
 */
@SuppressWarnings("restricted")
public final class GuestRamAllocator {
    static final long PAGE = 4096;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final long MAP_FAILED = -1L;

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                Optional<MemorySegment> m = linker.defaultLookup().find("mmap");
                Optional<MemorySegment> u = linker.defaultLookup().find("munmap");
                if (m.isPresent() && u.isPresent()) {
                    mmap = linker.downcallHandle(m.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG));
                    munmap = linker.downcallHandle(u.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                }
            } catch (RuntimeException | LinkageError e) {
                // restricted or unsupported: use the arena allocator
                mmap = null;
                munmap = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
    }

    private GuestRamAllocator() {
    }

    /** True when RAM comes from {@code mmap} (lazily committed), false for the arena fallback. */
    public static boolean usesMmap() {
        return MMAP != null;
    }

    /**
     * {@code size} bytes (a positive multiple of 4 KiB) of zeroed, page-aligned native memory, freed when
     * {@code arena} closes.
     *
     * @throws IllegalArgumentException if {@code size} is not a positive multiple of 4 KiB
     * @throws OutOfMemoryError         if the host refuses the memory
     */
    public static MemorySegment allocate(Arena arena, long size) {
        if (size <= 0 || size % PAGE != 0) {
            throw new IllegalArgumentException("guest RAM must be a positive multiple of 4 KiB, got " + size);
        }
        if (MMAP != null) {
            MemorySegment mapped;
            try {
                mapped = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            } catch (Throwable t) {
                throw new IllegalStateException("mmap of guest RAM failed", t);
            }
            if (mapped.address() == MAP_FAILED || mapped.address() == 0) {
                throw new OutOfMemoryError("mmap of " + size + " bytes of guest RAM failed");
            }
            long address = mapped.address();
            return mapped.reinterpret(size, arena, segment -> unmap(address, size));
        }
        return arena.allocate(size, PAGE);
    }

    private static void unmap(long address, long size) {
        try {
            int rc = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), size);
            assert rc == 0 : "munmap failed";
        } catch (Throwable t) {
            throw new IllegalStateException("munmap of guest RAM failed", t);
        }
    }
}
