package io.jkvm.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.SequenceLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Shared plumbing of the struct views: segment checks, and var handles named by C member paths.
 *
 * <p>C lets anonymous unions and structs be crossed by name ({@code run->io.port} although {@code io} lives in an
 * unnamed union). {@link MemoryLayout#varHandle} cannot do that by name, so {@link #path} resolves a C member path
 * to layout path elements, stepping into unnamed groups by index. The layouts themselves keep C's shape.
 */
final class Layouts {
    private Layouts() {
    }

    /**
     * Checks that {@code segment} can hold {@code layout} and is aligned as the C struct is.
     *
     * @param owner the Java view class, named in the error so the caller knows which {@code allocate} to use
     */
    static MemorySegment checked(MemorySegment segment, MemoryLayout layout, Class<?> owner) {
        Objects.requireNonNull(segment, "segment");
        String struct = layout.name().map(n -> "struct " + n).orElse(owner.getSimpleName());
        if (segment.byteSize() < layout.byteSize()) {
            throw new IllegalArgumentException(struct + " needs " + layout.byteSize() + " bytes but the segment has "
                    + segment.byteSize() + "; allocate it with " + owner.getSimpleName()
                    + ".allocate(...) or pass a larger segment");
        }
        if (segment.maxByteAlignment() < layout.byteAlignment()) {
            throw new IllegalArgumentException(struct + " must be " + layout.byteAlignment()
                    + "-byte aligned as in C, but the segment is only " + segment.maxByteAlignment()
                    + "-byte aligned; allocate it with an Arena or " + owner.getSimpleName() + ".allocate(...)");
        }
        return segment;
    }

    /** Allocates {@code size} bytes aligned like {@code layout}, zeroed whatever the allocator does. */
    static MemorySegment zeroed(SegmentAllocator allocator, long size, MemoryLayout layout) {
        Objects.requireNonNull(allocator, "allocator");
        // Arenas zero their memory, but a SegmentAllocator in general (e.g. slicingAllocator) does not.
        return allocator.allocate(size, layout.byteAlignment()).fill((byte) 0);
    }

    /** Allocates one zeroed {@code layout}. */
    static MemorySegment zeroed(SegmentAllocator allocator, MemoryLayout layout) {
        return zeroed(allocator, layout.byteSize(), layout);
    }

    /**
     * A var handle for the C member path {@code cPath} (e.g. {@code "io.port"}, {@code "interrupt_bitmap[]"}) of
     * {@code root}. Coordinates are {@code (MemorySegment, long base)} followed by one {@code long} index per
     * {@code []} in the path.
     */
    static VarHandle handle(GroupLayout root, String cPath) {
        return root.varHandle(path(root, cPath));
    }

    /** The byte offset of a member named by a C path without array steps. */
    static long offset(GroupLayout root, String cPath) {
        return root.byteOffset(path(root, cPath));
    }

    /** The layout of a member named by a C path without array steps. */
    static MemoryLayout member(GroupLayout root, String cPath) {
        return root.select(path(root, cPath));
    }

    /** Resolves a C member path; {@code []} after a name selects an element of that array (open index). */
    static PathElement[] path(GroupLayout root, String cPath) {
        List<PathElement> elements = new ArrayList<>();
        MemoryLayout current = root;
        for (String step : cPath.split("\\.")) {
            int arrays = 0;
            while (step.endsWith("[]")) {
                step = step.substring(0, step.length() - 2);
                arrays++;
            }
            if (!(current instanceof GroupLayout group) || !find(group, step, elements)) {
                throw new IllegalArgumentException("no member " + step + " in " + describe(current)
                        + " while resolving " + cPath + " in " + describe(root));
            }
            current = root.select(elements.toArray(PathElement[]::new));
            for (int i = 0; i < arrays; i++) {
                if (!(current instanceof SequenceLayout seq)) {
                    throw new IllegalArgumentException(step + " in " + cPath + " is not an array");
                }
                elements.add(PathElement.sequenceElement());
                current = seq.elementLayout();
            }
        }
        return elements.toArray(PathElement[]::new);
    }

    /** Appends the steps to member {@code name} of {@code group}, looking through unnamed groups as C does. */
    private static boolean find(GroupLayout group, String name, List<PathElement> out) {
        List<MemoryLayout> members = group.memberLayouts();
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).name().filter(name::equals).isPresent()) {
                out.add(PathElement.groupElement(name));
                return true;
            }
        }
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i) instanceof GroupLayout anonymous && anonymous.name().isEmpty()) {
                out.add(PathElement.groupElement(i));
                if (find(anonymous, name, out)) {
                    return true;
                }
                out.removeLast();
            }
        }
        return false;
    }

    private static String describe(MemoryLayout layout) {
        return layout.name().orElse("<anonymous " + layout + ">");
    }

    /** Checks a value for an {@code __u8} field: C would silently truncate, which hides caller bugs. */
    static byte checkU8(String field, int value) {
        if ((value & ~0xFF) != 0) {
            throw new IllegalArgumentException(field + " is a __u8: give a value in 0..255, not " + value);
        }
        return (byte) value;
    }

    /** Checks a value for an {@code __u16} field. */
    static short checkU16(String field, int value) {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException(field + " is a __u16: give a value in 0..65535, not " + value);
        }
        return (short) value;
    }

    /** Checks an array index against a fixed C array length. */
    static int index(String array, int i, long length) {
        if (i < 0 || i >= length) {
            throw new IndexOutOfBoundsException(array + " has " + length + " elements; index " + i + " is outside");
        }
        return i;
    }
}
