package io.jkvm.abi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;

/**
 * The C types of the kvm.h declarations, x86-64 LP64, so that each struct's {@code LAYOUT} reads like its C
 * declaration: {@code struct("kvm_interrupt", u32("irq"))}. Layout construction rejects a member that is not
 * naturally aligned at its offset, so a forgotten padding member fails at class initialisation.
 */
final class CTypes {
    private CTypes() {
    }

    static ValueLayout.OfByte u8(String name) {
        return JAVA_BYTE.withName(name);
    }

    static ValueLayout.OfShort u16(String name) {
        return JAVA_SHORT.withName(name);
    }

    static ValueLayout.OfInt u32(String name) {
        return JAVA_INT.withName(name);
    }

    /** {@code __s32}: same layout as {@link #u32}; the name documents the C signedness. */
    static ValueLayout.OfInt s32(String name) {
        return JAVA_INT.withName(name);
    }

    static ValueLayout.OfLong u64(String name) {
        return JAVA_LONG.withName(name);
    }

    /** A C pointer ({@code void *}, {@code __u8 *}): 8 bytes, 8-aligned. */
    static AddressLayout pointer(String name) {
        return ADDRESS.withName(name);
    }

    /** {@code type name[length]}; a length of 0 models a flexible array member ({@code __DECLARE_FLEX_ARRAY}). */
    static SequenceLayout array(String name, long length, MemoryLayout element) {
        return MemoryLayout.sequenceLayout(length, element.withoutName()).withName(name);
    }

    /** Padding the C compiler inserts without a name; named C padding members are real fields instead. */
    static MemoryLayout gap(long bytes) {
        return MemoryLayout.paddingLayout(bytes);
    }

    static StructLayout struct(String name, MemoryLayout... members) {
        return MemoryLayout.structLayout(members).withName(name);
    }

    /** An anonymous C struct (crossed by member name, as C allows). */
    static StructLayout anonymousStruct(MemoryLayout... members) {
        return MemoryLayout.structLayout(members);
    }

    static UnionLayout union(String name, MemoryLayout... members) {
        return MemoryLayout.unionLayout(members).withName(name);
    }

    /** An anonymous C union (crossed by member name, as C allows). */
    static UnionLayout anonymousUnion(MemoryLayout... members) {
        return MemoryLayout.unionLayout(members);
    }
}
