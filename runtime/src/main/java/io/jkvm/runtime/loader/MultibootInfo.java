package io.jkvm.runtime.loader;

import io.jkvm.runtime.GuestLayout;

import java.nio.charset.StandardCharsets;

/**
 * Writes the multiboot v1 information structure at {@link GuestLayout#MULTIBOOT_INFO_START}: memory sizes
 * (flag 0), the command line (flag 2), a memory map (flag 6) and the boot loader name (flag 9). Both boot paths
 * hand it to the guest: EBX at the 32-bit multiboot entry, RDI at the 64-bit JKVM entry.
 */
public final class MultibootInfo {
    private MultibootInfo() {
    }

    public static final int FLAG_MEMORY = 1;
    public static final int FLAG_CMDLINE = 1 << 2;
    public static final int FLAG_MMAP = 1 << 6;
    public static final int FLAG_LOADER_NAME = 1 << 9;

    /** Offsets in {@code struct multiboot_info}. */
    public static final int OFF_FLAGS = 0;
    public static final int OFF_MEM_LOWER = 4;
    public static final int OFF_MEM_UPPER = 8;
    public static final int OFF_BOOT_DEVICE = 12;
    public static final int OFF_CMDLINE = 16;
    public static final int OFF_MMAP_LENGTH = 44;
    public static final int OFF_MMAP_ADDR = 48;
    public static final int OFF_LOADER_NAME = 64;
    /** Size of the structure up to and including the VBE/framebuffer fields, all written (zero when unused). */
    public static final int SIZE = 120;

    /** Memory map entry type: usable RAM. */
    public static final int MMAP_AVAILABLE = 1;
    static final int MMAP_ENTRY_SIZE = 24;   // u32 size (=20, not counting itself), u64 base, u64 length, u32 type

    public static final String LOADER_NAME = "jkvm";

    /** Checks that {@code commandLine} fits; returns its bytes with the terminating NUL. */
    static byte[] commandLineBytes(Image image, String commandLine) throws LoaderException {
        byte[] text = commandLine.getBytes(StandardCharsets.UTF_8);
        if (text.length + 1 > GuestLayout.CMDLINE_MAX_SIZE) {
            throw image.fail("command line is " + text.length + " bytes; at most "
                    + (GuestLayout.CMDLINE_MAX_SIZE - 1) + " fit");
        }
        for (byte b : text) {
            if (b == 0) {
                throw image.fail("command line contains a NUL byte");
            }
        }
        byte[] withNul = new byte[text.length + 1];
        System.arraycopy(text, 0, withNul, 0, text.length);
        return withNul;
    }

    /**
     * Writes the structure, the command line (when non-null) and the memory map for RAM of {@code ram.size()}
     * bytes; returns the structure's physical address.
     */
    public static long write(GuestRam ram, Image image, String commandLine) throws LoaderException {
        long info = GuestLayout.MULTIBOOT_INFO_START;
        ram.fill(info, SIZE, (byte) 0);
        int flags = FLAG_MEMORY | FLAG_MMAP | FLAG_LOADER_NAME;

        long lowKiB = Math.min(ram.size(), GuestLayout.LOW_MEMORY_END) / 1024;
        long upperKiB = Math.max(0, Math.min(ram.size(), GuestLayout.MMIO_HOLE_START) - GuestLayout.HIMEM_START) / 1024;
        ram.putInt(info + OFF_MEM_LOWER, (int) lowKiB);
        ram.putInt(info + OFF_MEM_UPPER, (int) upperKiB);
        ram.putInt(info + OFF_BOOT_DEVICE, 0xffffffff);   // no BIOS boot device

        if (commandLine != null) {
            byte[] text = commandLineBytes(image, commandLine);
            ram.write(GuestLayout.CMDLINE_START, java.lang.foreign.MemorySegment.ofArray(text), 0, text.length);
            ram.putInt(info + OFF_CMDLINE, (int) GuestLayout.CMDLINE_START);
            flags |= FLAG_CMDLINE;
        }

        long mmap = GuestLayout.MULTIBOOT_MMAP_START;
        int entries = 0;
        entries += mmapEntry(ram, mmap, entries, 0, lowKiB * 1024, MMAP_AVAILABLE);
        if (upperKiB > 0) {
            entries += mmapEntry(ram, mmap, entries, GuestLayout.HIMEM_START, upperKiB * 1024, MMAP_AVAILABLE);
        }
        ram.putInt(info + OFF_MMAP_LENGTH, entries * MMAP_ENTRY_SIZE);
        ram.putInt(info + OFF_MMAP_ADDR, (int) mmap);

        byte[] name = (LOADER_NAME + "\0").getBytes(StandardCharsets.US_ASCII);
        ram.write(GuestLayout.BOOT_LOADER_NAME_START, java.lang.foreign.MemorySegment.ofArray(name), 0, name.length);
        ram.putInt(info + OFF_LOADER_NAME, (int) GuestLayout.BOOT_LOADER_NAME_START);

        ram.putInt(info + OFF_FLAGS, flags);
        return info;
    }

    private static int mmapEntry(GuestRam ram, long mmap, int index, long base, long length, int type) {
        long e = mmap + (long) index * MMAP_ENTRY_SIZE;
        ram.putInt(e, MMAP_ENTRY_SIZE - 4);
        ram.putLong(e + 4, base);
        ram.putLong(e + 12, length);
        ram.putInt(e + 20, type);
        return 1;
    }
}
