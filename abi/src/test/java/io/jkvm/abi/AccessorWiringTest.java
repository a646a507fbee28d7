package io.jkvm.abi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * For every struct class, every getter/setter pair named after a C member must touch exactly that member's bytes:
 * write a pattern through the setter into a freshly allocated struct, then the bytes at the member's offset (which
 * {@link KvmHeaderConformanceTest} checks against kvm.h) hold it, no other byte changed, and the getter returns
 * it. This catches an accessor wired to the wrong handle, which the layout check cannot see.
 */
class AccessorWiringTest {
    /**
     * Members deliberately without accessors: reserved or padding bytes callers must leave zero, the kvm_run exit
     * members (reached through views, tested in KvmRunTest) and members whose views are tested by their own class.
     */
    private static final Set<String> NO_ACCESSOR = Set.of(
            "kvm_run.padding1", "kvm_run.padding", "kvm_run.s", "kvm_enable_cap.pad",
            "kvm_run.hw", "kvm_run.fail_entry", "kvm_run.ex", "kvm_run.io", "kvm_run.debug", "kvm_run.mmio",
            "kvm_run.hypercall", "kvm_run.internal", "kvm_run.system_event", "kvm_run.msr",
            "kvm_sregs.cs", "kvm_sregs.ds", "kvm_sregs.es", "kvm_sregs.fs", "kvm_sregs.gs", "kvm_sregs.ss",
            "kvm_sregs.tr", "kvm_sregs.ldt", "kvm_sregs.gdt", "kvm_sregs.idt", "kvm_guest_debug.arch",
            "kvm_msr_filter.ranges", "kvm_fpu.fpr", "kvm_fpu.xmm", "kvm_msrs.entries", "kvm_cpuid2.entries",
            "kvm_msr_list.indices", "kvm_dirty_log.padding2", "kvm_clear_dirty_log.padding2");

    /** Count fields of variable-length structs: their setters refuse more than the capacity. */
    private static final Set<String> COUNT_FIELDS = Set.of("nmsrs", "nent");

    private static final Map<String, String> ACCESSOR_FOR_POINTER = Map.of("dirty_bitmap", "dirtyBitmap",
            "bitmap", "bitmap");

    @Test
    void everyAccessorWritesAndReadsItsOwnBytes() throws Exception {
        List<String> checked = new ArrayList<>();
        Set<String> unreached = new TreeSet<>();
        for (Map.Entry<String, StructLayout> e : KvmHeaderConformanceTest.structLayouts().entrySet()) {
            Class<?> type = classOf(e.getValue());
            walk(type, e.getKey(), e.getValue(), 0, checked, unreached);
        }
        assertTrue(unreached.isEmpty(), () -> "members with neither an accessor nor a reason in NO_ACCESSOR: "
                + unreached);
        assertTrue(checked.size() > 120, "only " + checked.size() + " accessors checked: " + checked);
    }

    private void walk(Class<?> type, String struct, GroupLayout group, long base, List<String> checked,
            Set<String> unreached) throws Exception {
        long offset = base;
        for (MemoryLayout m : group.memberLayouts()) {
            long at = group instanceof StructLayout ? offset : base;
            offset += m.byteSize();
            if (m.name().isEmpty()) {
                if (m instanceof GroupLayout anonymous) {
                    walk(type, struct, anonymous, at, checked, unreached);
                }
                continue;
            }
            String name = m.name().get();
            if (NO_ACCESSOR.contains(struct + "." + name)) {
                continue;
            }
            if (m instanceof SequenceLayout seq && seq.elementLayout() instanceof ValueLayout element) {
                for (long i : new long[] {0, seq.elementCount() - 1}) {
                    check(type, struct, name, element, at + i * element.byteSize(), (int) i);
                }
                checked.add(struct + "." + name + "[]");
            } else if (m instanceof ValueLayout value) {
                check(type, struct, name, value, at, -1);
                checked.add(struct + "." + name);
            } else {
                unreached.add(struct + "." + name);
            }
        }
    }

    /** Sets a pattern through the setter, then checks the bytes and the getter; {@code index < 0}: not an array. */
    private void check(Class<?> type, String struct, String cName, ValueLayout layout, long offset, int index)
            throws Exception {
        String java = ACCESSOR_FOR_POINTER.getOrDefault(cName, camel(cName));
        boolean wide = layout instanceof ValueLayout.OfLong || layout instanceof AddressLayout;
        Class<?> valueType = wide ? long.class : int.class;
        long pattern = COUNT_FIELDS.contains(cName) ? 42 : switch ((int) layout.byteSize()) {
            case 1 -> 0xA5;
            case 2 -> 0xBEEF;
            case 4 -> 0xDEADBEEFL;
            default -> 0x0123456789ABCDEFL;
        };
        try (Arena arena = Arena.ofConfined()) {
            Object view = allocate(type, arena);
            MemorySegment segment = (MemorySegment) type.getMethod("segment").invoke(view);
            byte[] before = segment.toArray(JAVA_BYTE); // zero, except the count of a variable-length struct
            Object argument = wide ? (Object) pattern : (Object) (int) pattern;
            String where = struct + "." + cName + (index >= 0 ? "[" + index + "]" : "");
            Method getter;
            if (index >= 0) {
                type.getMethod(java, int.class, valueType).invoke(view, index, argument);
                getter = type.getMethod(java, int.class);
            } else {
                type.getMethod(java, valueType).invoke(view, argument);
                getter = type.getMethod(java);
            }
            assertEquals(pattern, readAt(segment, layout, offset), where + ": bytes at the C offset " + offset);
            for (long b = 0; b < segment.byteSize(); b++) {
                if ((b < offset || b >= offset + layout.byteSize()) && segment.get(JAVA_BYTE, b) != before[(int) b]) {
                    throw new AssertionError(where + " setter also wrote byte " + b);
                }
            }
            Object got = index >= 0 ? getter.invoke(view, index) : getter.invoke(view);
            long asLong = got instanceof Integer i ? Integer.toUnsignedLong(i) : (Long) got;
            assertEquals(pattern, asLong, where + " getter");
        }
    }

    private static long readAt(MemorySegment segment, ValueLayout layout, long offset) {
        return switch ((int) layout.byteSize()) {
            case 1 -> Byte.toUnsignedLong(segment.get(JAVA_BYTE, offset));
            case 2 -> Short.toUnsignedLong(segment.get(JAVA_SHORT, offset));
            case 4 -> Integer.toUnsignedLong(segment.get(JAVA_INT, offset));
            default -> segment.get(JAVA_LONG, offset);
        };
    }

    private static Object allocate(Class<?> type, Arena arena) throws Exception {
        try {
            return type.getMethod("allocate", SegmentAllocator.class, int.class).invoke(null, arena, 64);
        } catch (NoSuchMethodException e) {
            return type.getMethod("allocate", SegmentAllocator.class).invoke(null, arena);
        }
    }

    private static Class<?> classOf(StructLayout layout) throws ClassNotFoundException {
        return Class.forName("io.jkvm.abi." + pascal(layout.name().orElseThrow()));
    }

    private static String camel(String cName) {
        String p = pascal(cName);
        return Character.toLowerCase(p.charAt(0)) + p.substring(1);
    }

    private static String pascal(String cName) {
        StringBuilder sb = new StringBuilder();
        for (String part : cName.split("_")) {
            sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return sb.toString();
    }
}
