package io.jkvm.runtime.loader;

import java.util.Optional;

/**
 * A multiboot v1 header: found in the first {@link #SEARCH_LIMIT} bytes of the image, 4-byte aligned, with
 * {@code magic + flags + checksum == 0}. With flag {@link #FLAG_AOUT_KLUDGE} its address fields say where to load
 * the image (the "a.out kludge"), which is how non-ELF kernels are booted.
 */
public record MultibootHeader(long fileOffset, int flags, long headerAddr, long loadAddr, long loadEndAddr,
                              long bssEndAddr, long entryAddr) {
    public static final int MAGIC = 0x1BADB002;
    /** Value of EAX at a multiboot entry. */
    public static final int BOOTLOADER_MAGIC = 0x2BADB002;
    /** The header must lie entirely in the first 8 KiB of the image. */
    public static final int SEARCH_LIMIT = 8192;
    public static final int FLAG_PAGE_ALIGN = 1;
    public static final int FLAG_MEMORY_INFO = 1 << 1;
    public static final int FLAG_VIDEO_MODE = 1 << 2;
    public static final int FLAG_AOUT_KLUDGE = 1 << 16;
    /** Bits 0-15 are requirements: a loader must refuse a kernel with one it does not understand. */
    static final int REQUIRED_MASK = 0xffff;
    /** Requirement bits jkvm satisfies: module page alignment (there are no modules) and memory information. */
    static final int SUPPORTED_REQUIREMENTS = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO;

    public boolean aoutKludge() {
        return (flags & FLAG_AOUT_KLUDGE) != 0;
    }

    /**
     * The first valid header, or empty when there is none. A header asking for something jkvm cannot give (a video
     * mode, an unknown required feature) is an error, as the multiboot specification requires.
     */
    public static Optional<MultibootHeader> find(Image image) throws LoaderException {
        long limit = Math.min(image.size(), SEARCH_LIMIT);
        for (long off = 0; off + 12 <= limit; off += 4) {
            if ((int) image.u32(off, "multiboot header") != MAGIC) {
                continue;
            }
            int flags = (int) image.u32(off + 4, "multiboot header");
            int checksum = (int) image.u32(off + 8, "multiboot header");
            if (MAGIC + flags + checksum != 0) {
                continue;
            }
            int unsupported = flags & REQUIRED_MASK & ~SUPPORTED_REQUIREMENTS;
            if ((unsupported & FLAG_VIDEO_MODE) != 0) {
                throw image.fail("multiboot header at 0x" + Long.toHexString(off)
                        + " requires a video mode (flag 2); jkvm has no display");
            }
            if (unsupported != 0) {
                throw image.fail("multiboot header at 0x" + Long.toHexString(off)
                        + " requires features jkvm does not know (flags 0x" + Integer.toHexString(unsupported) + ")");
            }
            if ((flags & FLAG_AOUT_KLUDGE) == 0) {
                return Optional.of(new MultibootHeader(off, flags, 0, 0, 0, 0, 0));
            }
            if (off + 32 > limit) {
                throw image.fail("truncated multiboot header at 0x" + Long.toHexString(off)
                        + ": flag 16 needs its address fields inside the first 8 KiB of the file");
            }
            String what = "multiboot header address fields";
            return Optional.of(new MultibootHeader(off, flags, image.u32(off + 12, what), image.u32(off + 16, what),
                    image.u32(off + 20, what), image.u32(off + 24, what), image.u32(off + 28, what)));
        }
        return Optional.empty();
    }

    /** Like {@link #find} but a missing header is an error. */
    public static MultibootHeader require(Image image) throws LoaderException {
        return find(image).orElseThrow(() -> image.fail("no multiboot header in the first 8 KiB"));
    }
}
