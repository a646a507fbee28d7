package io.jkvm.runtime.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds small x86 ELF images for loader tests, byte by byte from the ELF specification (not from the loader's
 * parser): an ELF header, the program header table right after it, then each segment's bytes at 16-byte aligned
 * file offsets. Fields can be overridden to make broken images.
 */
final class ElfBuilder {
    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;
    static final int PF_X = 1;
    static final int PF_W = 2;
    static final int PF_R = 4;

    record Seg(int type, long paddr, long vaddr, byte[] data, long memsz, int flags, Long filesz) {
    }

    private final boolean is64;
    private int machine;
    private int type = 2;
    private long entry;
    private Integer phentsizeOverride;
    private final List<Seg> segments = new ArrayList<>();

    private ElfBuilder(boolean is64) {
        this.is64 = is64;
        this.machine = is64 ? 62 : 3;
    }

    static ElfBuilder elf32() {
        return new ElfBuilder(false);
    }

    static ElfBuilder elf64() {
        return new ElfBuilder(true);
    }

    ElfBuilder machine(int m) {
        this.machine = m;
        return this;
    }

    ElfBuilder type(int t) {
        this.type = t;
        return this;
    }

    ElfBuilder entry(long e) {
        this.entry = e;
        return this;
    }

    ElfBuilder phentsize(int n) {
        this.phentsizeOverride = n;
        return this;
    }

    /** A PT_LOAD at physical = virtual {@code addr}. */
    ElfBuilder load(long addr, byte[] data, long memsz, int flags) {
        segments.add(new Seg(PT_LOAD, addr, addr, data, memsz, flags, null));
        return this;
    }

    ElfBuilder load(long paddr, long vaddr, byte[] data, long memsz, int flags) {
        segments.add(new Seg(PT_LOAD, paddr, vaddr, data, memsz, flags, null));
        return this;
    }

    /** A PT_LOAD whose p_filesz is {@code filesz} whatever the data length (for inconsistent headers). */
    ElfBuilder loadWithFilesz(long addr, byte[] data, long filesz, long memsz) {
        segments.add(new Seg(PT_LOAD, addr, addr, data, memsz, PF_R, filesz));
        return this;
    }

    ElfBuilder note(byte[] notes) {
        segments.add(new Seg(PT_NOTE, 0, 0, notes, 0, PF_R, null));
        return this;
    }

    int headerSize() {
        return is64 ? 64 : 52;
    }

    int phentsize() {
        return is64 ? 56 : 32;
    }

    /** File offset where segment {@code i}'s bytes start. */
    long dataOffset(int i) {
        long off = headerSize() + (long) phentsize() * segments.size();
        for (int k = 0; k < i; k++) {
            off = align16(off) + segments.get(k).data().length;
        }
        return align16(off);
    }

    private static long align16(long v) {
        return (v + 15) & ~15L;
    }

    byte[] build() {
        int size = (int) (segments.isEmpty() ? headerSize() : dataOffset(segments.size() - 1)
                + segments.get(segments.size() - 1).data().length);
        ByteBuffer b = ByteBuffer.allocate(Math.max(size, headerSize() + phentsize() * segments.size()))
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, new byte[] {0x7f, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), 1, 1});
        b.putShort(16, (short) type);
        b.putShort(18, (short) machine);
        b.putInt(20, 1);
        int ph = headerSize();
        int entsize = phentsizeOverride != null ? phentsizeOverride : phentsize();
        if (is64) {
            b.putLong(24, entry);
            b.putLong(32, ph);
            b.putShort(52, (short) 64);
            b.putShort(54, (short) entsize);
            b.putShort(56, (short) segments.size());
        } else {
            b.putInt(24, (int) entry);
            b.putInt(28, ph);
            b.putShort(40, (short) 52);
            b.putShort(42, (short) entsize);
            b.putShort(44, (short) segments.size());
        }
        for (int i = 0; i < segments.size(); i++) {
            Seg s = segments.get(i);
            int p = ph + i * phentsize();
            long off = dataOffset(i);
            long filesz = s.filesz() != null ? s.filesz() : s.data().length;
            long memsz = s.type() == PT_NOTE ? 0 : s.memsz();
            if (is64) {
                b.putInt(p, s.type());
                b.putInt(p + 4, s.flags());
                b.putLong(p + 8, off);
                b.putLong(p + 16, s.vaddr());
                b.putLong(p + 24, s.paddr());
                b.putLong(p + 32, filesz);
                b.putLong(p + 40, memsz);
                b.putLong(p + 48, 0x1000);
            } else {
                b.putInt(p, s.type());
                b.putInt(p + 4, (int) off);
                b.putInt(p + 8, (int) s.vaddr());
                b.putInt(p + 12, (int) s.paddr());
                b.putInt(p + 16, (int) filesz);
                b.putInt(p + 20, (int) memsz);
                b.putInt(p + 24, s.flags());
                b.putInt(p + 28, 0x1000);
            }
            b.put((int) off, s.data());
        }
        return b.array();
    }

    /** A multiboot v1 header (magic, flags, checksum), plus the five address fields when flag 16 is set. */
    static byte[] multibootHeader(int flags, long... addressFields) {
        ByteBuffer b = ByteBuffer.allocate((flags & (1 << 16)) != 0 ? 32 : 12).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x1BADB002).putInt(flags).putInt(-(0x1BADB002 + flags));
        for (long v : addressFields) {
            b.putInt((int) v);
        }
        return b.array();
    }

    /** The JKVM note: namesz 5, descsz 8, type 1, "JKVM\0" padded to 8, the 64-bit entry. */
    static byte[] jkvmNote(long entry64) {
        return ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(5).putInt(8).putInt(1).put(new byte[] {'J', 'K', 'V', 'M', 0, 0, 0, 0}).putLong(entry64)
                .array();
    }

    /** {@code prefix} followed by {@code total - prefix.length} bytes of {@code fill}. */
    static byte[] code(byte[] prefix, int total, int fill) {
        byte[] out = new byte[total];
        java.util.Arrays.fill(out, (byte) fill);
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        return out;
    }
}
