package io.jkvm.runtime.loader;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The bytes of an image file and its name for messages. All reads are bounds-checked and fail with a
 * {@link LoaderException} saying what was being read ("truncated program header table"), so parsers never see an
 * index exception.
 */
public final class Image {
    /** Images larger than this are refused before being read (no guest RAM jkvm maps is this large). */
    public static final long MAX_FILE_SIZE = 1L << 31;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final MemorySegment bytes;

    private Image(String name, MemorySegment bytes) {
        this.name = name;
        this.bytes = bytes;
    }

    /** An image over {@code bytes} (not copied), called {@code name} in messages. */
    public static Image of(String name, byte[] bytes) {
        return new Image(name, MemorySegment.ofArray(bytes));
    }

    /** An image over {@code bytes} (not copied), called {@code name} in messages. */
    public static Image of(String name, MemorySegment bytes) {
        return new Image(name, bytes);
    }

    /** Reads {@code file}; a missing, unreadable or oversized file is a {@link LoaderException}. */
    public static Image read(Path file) throws LoaderException {
        String name = file.toString();
        try {
            if (Files.isDirectory(file)) {
                throw new LoaderException(name, "is a directory, not an image file");
            }
            long size = Files.size(file);
            if (size > MAX_FILE_SIZE) {
                throw new LoaderException(name, "image file is " + size + " bytes; jkvm reads at most "
                        + MAX_FILE_SIZE + " (2 GiB)");
            }
            return new Image(name, MemorySegment.ofArray(Files.readAllBytes(file)));
        } catch (NoSuchFileException e) {
            throw new LoaderException(name, "no such file", e);
        } catch (IOException e) {
            throw new LoaderException(name, "cannot read: " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public long size() {
        return bytes.byteSize();
    }

    /** The raw bytes (read-only use). */
    public MemorySegment bytes() {
        return bytes;
    }

    /** True when {@code [offset, offset + length)} lies inside the file (unsigned, no overflow). */
    public boolean contains(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= size() && length <= size() - offset;
    }

    /** Fails with "truncated {@code what}" unless {@code [offset, offset + length)} is inside the file. */
    public void require(long offset, long length, String what) throws LoaderException {
        if (!contains(offset, length)) {
            throw fail("truncated " + what + " (needs bytes [0x" + Long.toHexString(offset) + ", +0x"
                    + Long.toHexString(length) + ") of a " + size() + "-byte file)");
        }
    }

    public int u8(long offset, String what) throws LoaderException {
        require(offset, 1, what);
        return Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, offset));
    }

    public int u16(long offset, String what) throws LoaderException {
        require(offset, 2, what);
        return Short.toUnsignedInt(bytes.get(U16, offset));
    }

    /** A {@code u32} as a non-negative {@code long}. */
    public long u32(long offset, String what) throws LoaderException {
        require(offset, 4, what);
        return Integer.toUnsignedLong(bytes.get(U32, offset));
    }

    /** A {@code u64}; values of 2^63 and above come back negative, compare them unsigned. */
    public long u64(long offset, String what) throws LoaderException {
        require(offset, 8, what);
        return bytes.get(U64, offset);
    }

    /** A {@link LoaderException} about this image. */
    public LoaderException fail(String problem) {
        return new LoaderException(name, problem);
    }

    @Override
    public String toString() {
        return name + " (" + size() + " bytes)";
    }
}
