package io.jkvm.runtime.loader;

import io.jkvm.runtime.GuestLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Loads an image into guest RAM and says how to start the CPU. Formats, detected in this order:
 * <ol>
 *   <li>ELF64 ({@code EM_X86_64}): started directly in long mode at {@code e_entry} (or the JKVM note's entry).</li>
 *   <li>ELF32 carrying the JKVM note (jkvm's guest images): loaded as ELF, started in long mode at the note's
 *       64-bit entry, as the boot contract in NOTES.md says.</li>
 *   <li>Other ELF32 images: multiboot v1 (a multiboot header in the first 8 KiB is required), started in 32-bit
 *       protected mode at {@code e_entry}.</li>
 *   <li>Non-ELF images with a multiboot header whose flag 16 is set: loaded where the header's address fields say
 *       (the a.out kludge). As in QEMU, flag 16 also wins over the ELF headers of a multiboot ELF32.</li>
 *   <li>Anything else: a flat binary copied to {@link Options#flatLoadAddress()} and started in real mode.</li>
 * </ol>
 * {@link Protocol} forces one way instead of detecting it.
 *
 * <p>Every value read from the image is validated before anything is written: truncated or inconsistent headers,
 * segments that overlap each other, leave guest RAM or cover the loader's own boot structures
 * ({@link GuestLayout#BOOT_STRUCTURES}) are refused with a {@link LoaderException} naming the file and the problem.
 * Protected-mode and long-mode guests get the boot GDT, an empty IDT, the multiboot information structure with the
 * command line and (long mode) the identity map of the first 4 GiB.
 */
public final class ImageLoader {
    private ImageLoader() {
    }

    /** How to boot the image. */
    public enum Protocol {
        /** Detect from the image, as described on {@link ImageLoader}. */
        AUTO,
        /** Multiboot v1 32-bit entry, even when the image has a JKVM note (tests the guest's own mode switch). */
        MULTIBOOT,
        /** Long mode: ELF64, or ELF32 with the JKVM note. */
        LONG_MODE,
        /** Flat binary at {@link Options#flatLoadAddress()}, real mode, whatever the bytes look like. */
        FLAT
    }

    /** What the image turned out to be. */
    public enum Format {
        ELF64("ELF64, long mode"),
        ELF32_JKVM("ELF32 with JKVM note, long mode"),
        MULTIBOOT_ELF("multiboot ELF32, protected mode"),
        MULTIBOOT_AOUT("multiboot a.out kludge, protected mode"),
        FLAT("flat binary, real mode");

        private final String description;

        Format(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /**
     * @param protocol              how to boot
     * @param commandLine           the multiboot command line (null: none)
     * @param commandLineMandatory  refuse formats that cannot receive a command line (flat binaries), because the
     *                              user gave guest arguments that would otherwise be dropped
     * @param flatLoadAddress       where a flat binary goes
     * @param flatEntry             real-mode entry of a flat binary; null derives CS:IP from the load address
     *                              (0000:addr below 64 KiB, else addr/16:addr%16)
     */
    public record Options(Protocol protocol, String commandLine, boolean commandLineMandatory, long flatLoadAddress,
                          EntryState.RealMode flatEntry) {
        public Options {
            Objects.requireNonNull(protocol, "protocol");
        }

        /** Detection, the given command line, flat binaries at 0x7c00 entered at 0000:7C00. */
        public static Options defaults(String commandLine) {
            return new Options(Protocol.AUTO, commandLine, false, GuestLayout.FLAT_LOAD_DEFAULT, null);
        }

        public Options withProtocol(Protocol p) {
            return new Options(p, commandLine, commandLineMandatory, flatLoadAddress, flatEntry);
        }
    }

    /** A guest-physical range the loader filled from the image. */
    public record LoadedRange(String what, long start, long end) {
        @Override
        public String toString() {
            return what + " [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")";
        }
    }

    /**
     * The result: the format, the CPU entry state, what was written where, and the multiboot information address
     * (0 for flat binaries).
     */
    public record LoadedImage(String file, Format format, EntryState entry, List<LoadedRange> ranges,
                              long multibootInfo, String commandLine) {
        public LoadedImage {
            ranges = List.copyOf(ranges);
        }
    }

    /** Loads {@code image} into {@code ram}. */
    public static LoadedImage load(Image image, GuestRam ram, Options options) throws LoaderException {
        Protocol protocol = options.protocol();
        if (protocol == Protocol.FLAT) {
            return loadFlat(image, ram, options);
        }
        if (ElfImage.isElf(image)) {
            ElfImage elf = ElfImage.parse(image);
            boolean longMode = elf.elfClass() == ElfImage.ElfClass.ELF64 || elf.jkvmEntry64().isPresent();
            switch (protocol) {
                case MULTIBOOT -> {
                    if (elf.elfClass() == ElfImage.ElfClass.ELF64) {
                        throw image.fail("multiboot v1 boots 32-bit images; an ELF64 image starts in long mode");
                    }
                    return loadMultiboot(image, elf, ram, options);
                }
                case LONG_MODE -> {
                    if (!longMode) {
                        throw image.fail("no JKVM note: this ELF32 image has no 64-bit entry; boot it with multiboot");
                    }
                    return loadLongMode(elf, ram, options);
                }
                default -> {
                    return longMode ? loadLongMode(elf, ram, options) : loadMultiboot(image, elf, ram, options);
                }
            }
        }
        Optional<MultibootHeader> header = MultibootHeader.find(image);
        if (protocol == Protocol.LONG_MODE) {
            throw image.fail("not an ELF image: long mode needs an ELF64 image or an ELF32 image with a JKVM note");
        }
        if (header.isEmpty()) {
            if (protocol == Protocol.MULTIBOOT) {
                throw image.fail("no multiboot header in the first 8 KiB");
            }
            return loadFlat(image, ram, options);
        }
        if (!header.get().aoutKludge()) {
            throw image.fail("multiboot header at 0x" + Long.toHexString(header.get().fileOffset())
                    + " has no address fields (flag 16) and the image is not ELF: nothing says where to load it");
        }
        return loadAout(image, header.get(), ram, options);
    }

    // ---------------------------------------------------------------- long mode

    private static LoadedImage loadLongMode(ElfImage elf, GuestRam ram, Options options) throws LoaderException {
        Image image = elf.image();
        for (ElfImage.Segment s : elf.segments()) {
            if (s.virtAddr() != s.physAddr()) {
                throw image.fail(s + " has p_vaddr 0x" + Long.toHexString(s.virtAddr()) + " != p_paddr 0x"
                        + Long.toHexString(s.physAddr())
                        + "; the long-mode loader identity-maps the first 4 GiB, so code must be linked where it loads");
            }
        }
        long entry;
        Format format;
        OptionalLong note = elf.jkvmEntry64();
        if (note.isPresent()) {
            entry = note.getAsLong();
            format = elf.elfClass() == ElfImage.ElfClass.ELF64 ? Format.ELF64 : Format.ELF32_JKVM;
            if (elf.segmentAt(entry).isEmpty()) {
                throw image.fail("JKVM note's 64-bit entry 0x" + Long.toHexString(entry)
                        + " is not inside any loadable segment");
            }
        } else {
            entry = elf.entry();
            format = Format.ELF64;
            if (elf.segmentAt(entry).isEmpty()) {
                throw image.fail("entry point 0x" + Long.toHexString(entry) + " is not inside any loadable segment");
            }
        }
        checkSegmentsPlacement(image, elf.segments(), ram);
        if (options.commandLine() != null) {
            MultibootInfo.commandLineBytes(image, options.commandLine());
        }
        List<LoadedRange> ranges = writeSegments(elf, ram);
        BootStructures.writeDescriptorTables(ram);
        long cr3 = BootStructures.writeIdentityMap(ram);
        long info = MultibootInfo.write(ram, image, options.commandLine());
        EntryState state = new EntryState.LongMode(entry, info, MultibootHeader.BOOTLOADER_MAGIC & 0xffffffffL,
                GuestLayout.BOOT_STACK_POINTER, cr3);
        return new LoadedImage(image.name(), format, state, ranges, info, options.commandLine());
    }

    // ---------------------------------------------------------------- multiboot

    private static LoadedImage loadMultiboot(Image image, ElfImage elf, GuestRam ram, Options options)
            throws LoaderException {
        MultibootHeader header = MultibootHeader.require(image);
        if (header.aoutKludge()) {
            return loadAout(image, header, ram, options);
        }
        OptionalLong entry = elf.virtualToPhysical(elf.entry());
        if (entry.isEmpty()) {
            throw image.fail("entry point 0x" + Long.toHexString(elf.entry()) + " is not inside any loadable segment");
        }
        checkSegmentsPlacement(image, elf.segments(), ram);
        if (options.commandLine() != null) {
            MultibootInfo.commandLineBytes(image, options.commandLine());
        }
        List<LoadedRange> ranges = writeSegments(elf, ram);
        return startMultiboot(image, ram, options, Format.MULTIBOOT_ELF, entry.getAsLong(), ranges);
    }

    private static LoadedImage loadAout(Image image, MultibootHeader h, GuestRam ram, Options options)
            throws LoaderException {
        if (h.headerAddr() < h.loadAddr()) {
            throw image.fail("multiboot header_addr 0x" + Long.toHexString(h.headerAddr()) + " is below load_addr 0x"
                    + Long.toHexString(h.loadAddr()));
        }
        long fileStart = h.fileOffset() - (h.headerAddr() - h.loadAddr());
        if (fileStart < 0) {
            throw image.fail("multiboot load_addr 0x" + Long.toHexString(h.loadAddr())
                    + " would start " + (-fileStart) + " bytes before the beginning of the file");
        }
        long loadEnd = h.loadEndAddr() == 0 ? h.loadAddr() + (image.size() - fileStart) : h.loadEndAddr();
        if (loadEnd < h.loadAddr()) {
            throw image.fail("multiboot load_end_addr 0x" + Long.toHexString(loadEnd) + " is below load_addr 0x"
                    + Long.toHexString(h.loadAddr()));
        }
        long length = loadEnd - h.loadAddr();
        if (!image.contains(fileStart, length)) {
            throw image.fail("truncated image: multiboot load_end_addr 0x" + Long.toHexString(loadEnd) + " needs "
                    + length + " bytes from file offset 0x" + Long.toHexString(fileStart) + ", the file has "
                    + image.size());
        }
        long bssEnd = h.bssEndAddr() == 0 ? loadEnd : h.bssEndAddr();
        if (bssEnd < loadEnd) {
            throw image.fail("multiboot bss_end_addr 0x" + Long.toHexString(bssEnd) + " is below load_end_addr 0x"
                    + Long.toHexString(loadEnd));
        }
        if (h.entryAddr() < h.loadAddr() || h.entryAddr() >= bssEnd) {
            throw image.fail("multiboot entry_addr 0x" + Long.toHexString(h.entryAddr())
                    + " is outside the loaded image [0x" + Long.toHexString(h.loadAddr()) + ", 0x"
                    + Long.toHexString(bssEnd) + ")");
        }
        String what = "image [0x" + Long.toHexString(h.loadAddr()) + ", 0x" + Long.toHexString(bssEnd) + ")";
        checkPlacement(image, what, h.loadAddr(), bssEnd, ram, true);
        if (options.commandLine() != null) {
            MultibootInfo.commandLineBytes(image, options.commandLine());
        }
        ram.write(h.loadAddr(), image.bytes(), fileStart, length);
        ram.fill(loadEnd, bssEnd - loadEnd, (byte) 0);
        List<LoadedRange> ranges = List.of(new LoadedRange("a.out image", h.loadAddr(), bssEnd));
        return startMultiboot(image, ram, options, Format.MULTIBOOT_AOUT, h.entryAddr(), ranges);
    }

    private static LoadedImage startMultiboot(Image image, GuestRam ram, Options options, Format format, long entry,
                                              List<LoadedRange> ranges) throws LoaderException {
        BootStructures.writeDescriptorTables(ram);
        long info = MultibootInfo.write(ram, image, options.commandLine());
        EntryState state = new EntryState.ProtectedMode(entry, MultibootHeader.BOOTLOADER_MAGIC & 0xffffffffL, info,
                GuestLayout.BOOT_STACK_POINTER);
        return new LoadedImage(image.name(), format, state, ranges, info, options.commandLine());
    }

    // ---------------------------------------------------------------- flat

    private static LoadedImage loadFlat(Image image, GuestRam ram, Options options) throws LoaderException {
        if (options.commandLineMandatory()) {
            throw image.fail("is a flat binary, which takes no command line; drop the guest arguments");
        }
        if (image.size() == 0) {
            throw image.fail("empty image");
        }
        long address = options.flatLoadAddress();
        long end = address + image.size();
        checkPlacement(image, "image", address, end, ram, false);
        EntryState.RealMode entry = options.flatEntry();
        if (entry == null) {
            if (address > 0xffff0) {
                throw image.fail("load address 0x" + Long.toHexString(address)
                        + " is out of real-mode reach; give an explicit CS:IP entry");
            }
            entry = address <= 0xffff
                    ? new EntryState.RealMode(0, (int) address, (int) address)
                    : new EntryState.RealMode((int) (address >>> 4), (int) (address & 0xf), 0xfffe);
        }
        ram.write(address, image.bytes(), 0, image.size());
        return new LoadedImage(image.name(), Format.FLAT, entry, List.of(new LoadedRange("flat image", address, end)),
                0, null);
    }

    // ---------------------------------------------------------------- shared

    private static void checkSegmentsPlacement(Image image, List<ElfImage.Segment> segments, GuestRam ram)
            throws LoaderException {
        for (ElfImage.Segment s : segments) {
            checkPlacement(image, s.toString(), s.physAddr(), s.physEnd(), ram, true);
        }
    }

    /** Checks that [start, end) is in RAM and, for booted kernels, clear of the loader's structures. */
    private static void checkPlacement(Image image, String what, long start, long end, GuestRam ram,
                                       boolean avoidBootStructures) throws LoaderException {
        if (start < 0 || end < start || end > ram.size()) {
            throw image.fail(what + " is outside guest RAM (ends at 0x" + Long.toUnsignedString(end, 16) + ", RAM is "
                    + Sizes.format(ram.size()) + ")");
        }
        if (avoidBootStructures) {
            for (GuestLayout.Region r : GuestLayout.BOOT_STRUCTURES) {
                if (r.overlaps(start, end)) {
                    throw image.fail(what + " overlaps " + r + ", which the loader writes; load kernels at 0x"
                            + Long.toHexString(GuestLayout.HIMEM_START) + " or above");
                }
            }
        }
    }

    private static List<LoadedRange> writeSegments(ElfImage elf, GuestRam ram) {
        List<LoadedRange> ranges = new ArrayList<>();
        for (ElfImage.Segment s : elf.segments()) {
            ram.write(s.physAddr(), elf.image().bytes(), s.fileOffset(), s.fileSize());
            ram.fill(s.physAddr() + s.fileSize(), s.memSize() - s.fileSize(), (byte) 0);
            ranges.add(new LoadedRange("segment " + s.index(), s.physAddr(), s.physEnd()));
        }
        return ranges;
    }
}
