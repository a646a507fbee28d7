package io.jkvm.runtime.loader;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * The parts of an x86 ELF executable (ELF32 {@code EM_386} or ELF64 {@code EM_X86_64}, little-endian,
 * {@code ET_EXEC}) that a loader needs: loadable segments and the JKVM note. Parsing validates the header, the
 * program header table and every segment's file range, and refuses overlapping segments; placing the segments in
 * guest RAM is checked by the loader, which knows the RAM size.
 */
public final class ElfImage {
    /** ELF class of the container. */
    public enum ElfClass {
        ELF32, ELF64
    }

    public static final int EM_386 = 3;
    public static final int EM_X86_64 = 62;
    static final int ET_EXEC = 2;
    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;
    static final int PF_X = 1;
    static final int PF_W = 2;
    /** e_phnum value meaning "the count is in section header 0" (extended numbering). */
    static final int PN_XNUM = 0xffff;
    /** Program headers jkvm reads at most (real kernels have a handful). */
    public static final int MAX_PROGRAM_HEADERS = 256;
    /** The JKVM note (see NOTES.md, boot contract): name "JKVM", type 1, 8-byte physical 64-bit entry. */
    public static final String JKVM_NOTE_NAME = "JKVM";
    public static final int JKVM_NOTE_ENTRY64 = 1;

    /**
     * A {@code PT_LOAD} segment: {@code memSize} bytes at guest-physical {@code physAddr}, the first {@code fileSize}
     * from the file at {@code fileOffset}, the rest zeroed. {@code index} is its position in the program header
     * table, as messages name it.
     */
    public record Segment(int index, long physAddr, long virtAddr, long fileOffset, long fileSize, long memSize,
                          int flags) {
        /** First byte after the segment in guest-physical space. */
        public long physEnd() {
            return physAddr + memSize;
        }

        public boolean executable() {
            return (flags & PF_X) != 0;
        }

        @Override
        public String toString() {
            return "segment " + index + " [0x" + Long.toHexString(physAddr) + ", 0x" + Long.toHexString(physEnd())
                    + ")";
        }
    }

    private final Image image;
    private final ElfClass elfClass;
    private final int machine;
    private final long entry;
    private final List<Segment> segments;
    private final OptionalLong jkvmEntry64;

    private ElfImage(Image image, ElfClass elfClass, int machine, long entry, List<Segment> segments,
                     OptionalLong jkvmEntry64) {
        this.image = image;
        this.elfClass = elfClass;
        this.machine = machine;
        this.entry = entry;
        this.segments = segments;
        this.jkvmEntry64 = jkvmEntry64;
    }

    /** True when the image starts with the ELF magic (it is then parsed as ELF or refused, never run flat). */
    public static boolean isElf(Image image) {
        return image.contains(0, 4) && image.bytes().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) == 0x7f
                && image.bytes().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1) == 'E'
                && image.bytes().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2) == 'L'
                && image.bytes().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 3) == 'F';
    }

    /** Parses and validates {@code image}. */
    public static ElfImage parse(Image image) throws LoaderException {
        if (!isElf(image)) {
            throw image.fail("not an ELF file (no \\x7fELF magic)");
        }
        int cls = image.u8(4, "ELF identification");
        int data = image.u8(5, "ELF identification");
        int version = image.u8(6, "ELF identification");
        ElfClass elfClass = switch (cls) {
            case 1 -> ElfClass.ELF32;
            case 2 -> ElfClass.ELF64;
            default -> throw image.fail("unknown ELF class " + cls + " (EI_CLASS must be 1 or 2)");
        };
        if (data != 1) {
            throw image.fail("not a little-endian ELF (EI_DATA=" + data + "); x86 images are little-endian");
        }
        if (version != 1) {
            throw image.fail("unknown ELF version " + version);
        }
        boolean is64 = elfClass == ElfClass.ELF64;
        String header = "ELF header";
        image.require(0, is64 ? 64 : 52, header);
        int type = image.u16(16, header);
        int machine = image.u16(18, header);
        int wantMachine = is64 ? EM_X86_64 : EM_386;
        if (machine != EM_386 && machine != EM_X86_64) {
            throw image.fail("not an x86 ELF (e_machine=" + machine + ")");
        }
        if (machine != wantMachine) {
            throw image.fail("an " + elfClass + " image must have e_machine=" + wantMachine + ", not " + machine);
        }
        if (type != ET_EXEC) {
            throw image.fail("not an executable ELF (e_type=" + type + ", jkvm loads ET_EXEC=2 only)");
        }
        long entry = is64 ? image.u64(24, header) : image.u32(24, header);
        long phoff = is64 ? image.u64(32, header) : image.u32(28, header);
        int phentsize = image.u16(is64 ? 54 : 42, header);
        int phnum = image.u16(is64 ? 56 : 44, header);
        int wantEntsize = is64 ? 56 : 32;
        if (phnum == PN_XNUM) {
            throw image.fail("extended program header numbering (e_phnum=0xffff) is not supported");
        }
        if (phnum == 0) {
            throw image.fail("no program headers (e_phnum=0): nothing to load");
        }
        if (phnum > MAX_PROGRAM_HEADERS) {
            throw image.fail("too many program headers (" + phnum + ", at most " + MAX_PROGRAM_HEADERS + ")");
        }
        if (phentsize != wantEntsize) {
            throw image.fail("program header entries of " + phentsize + " bytes (an " + elfClass + " has "
                    + wantEntsize + ")");
        }
        image.require(phoff, (long) phnum * phentsize, "program header table");

        List<Segment> loads = new ArrayList<>();
        List<long[]> notes = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            long ph = phoff + (long) i * phentsize;
            String what = "program header " + i;
            long pType = image.u32(ph, what);
            long offset;
            long vaddr;
            long paddr;
            long filesz;
            long memsz;
            int flags;
            if (is64) {
                flags = (int) image.u32(ph + 4, what);
                offset = image.u64(ph + 8, what);
                vaddr = image.u64(ph + 16, what);
                paddr = image.u64(ph + 24, what);
                filesz = image.u64(ph + 32, what);
                memsz = image.u64(ph + 40, what);
            } else {
                offset = image.u32(ph + 4, what);
                vaddr = image.u32(ph + 8, what);
                paddr = image.u32(ph + 12, what);
                filesz = image.u32(ph + 16, what);
                memsz = image.u32(ph + 20, what);
                flags = (int) image.u32(ph + 24, what);
            }
            if (pType == PT_LOAD) {
                if (Long.compareUnsigned(filesz, memsz) > 0) {
                    throw image.fail("segment " + i + " has p_filesz 0x" + Long.toHexString(filesz)
                            + " larger than p_memsz 0x" + Long.toHexString(memsz));
                }
                if (!image.contains(offset, filesz)) {
                    throw image.fail("truncated segment " + i + ": file bytes [0x" + Long.toHexString(offset)
                            + ", +0x" + Long.toHexString(filesz) + ") lie past the end of the " + image.size()
                            + "-byte file");
                }
                if (Long.compareUnsigned(paddr + memsz, paddr) < 0) {
                    throw image.fail("segment " + i + " at 0x" + Long.toHexString(paddr) + " with p_memsz 0x"
                            + Long.toHexString(memsz) + " wraps around the address space");
                }
                if (memsz != 0) {
                    loads.add(new Segment(i, paddr, vaddr, offset, filesz, memsz, flags));
                }
            } else if (pType == PT_NOTE) {
                if (!image.contains(offset, filesz)) {
                    throw image.fail("truncated note segment " + i + ": file bytes [0x" + Long.toHexString(offset)
                            + ", +0x" + Long.toHexString(filesz) + ") lie past the end of the file");
                }
                notes.add(new long[] {offset, filesz});
            }
        }
        if (loads.isEmpty()) {
            throw image.fail("no loadable segment (no PT_LOAD with p_memsz > 0)");
        }
        checkOverlaps(image, loads);
        OptionalLong jkvm = OptionalLong.empty();
        for (long[] note : notes) {
            OptionalLong found = findJkvmNote(image, note[0], note[1]);
            if (found.isPresent()) {
                jkvm = found;
                break;
            }
        }
        return new ElfImage(image, elfClass, machine, entry, List.copyOf(loads), jkvm);
    }

    private static void checkOverlaps(Image image, List<Segment> loads) throws LoaderException {
        List<Segment> sorted = new ArrayList<>(loads);
        sorted.sort(Comparator.comparingLong(Segment::physAddr).thenComparingInt(Segment::index));
        for (int i = 1; i < sorted.size(); i++) {
            Segment prev = sorted.get(i - 1);
            Segment next = sorted.get(i);
            // a wrapped end was refused above, so unsigned comparison of the ends is exact
            if (Long.compareUnsigned(next.physAddr(), prev.physEnd()) < 0) {
                Segment later = prev.index() > next.index() ? prev : next;
                Segment earlier = later == prev ? next : prev;
                throw image.fail(later + " overlaps " + earlier);
            }
        }
    }

    /** Walks the notes in {@code [offset, offset + size)}; returns the JKVM 64-bit entry if one is there. */
    private static OptionalLong findJkvmNote(Image image, long offset, long size) throws LoaderException {
        long pos = offset;
        long end = offset + size;
        while (end - pos >= 12) {
            long namesz = image.u32(pos, "note header");
            long descsz = image.u32(pos + 4, "note header");
            long type = image.u32(pos + 8, "note header");
            long name = pos + 12;
            long desc = name + align4(namesz);
            long next = desc + align4(descsz);
            if (namesz > size || descsz > size || next > end) {
                throw image.fail("truncated note at file offset 0x" + Long.toHexString(pos) + " (namesz "
                        + namesz + ", descsz " + descsz + " run past its segment)");
            }
            if (namesz == JKVM_NOTE_NAME.length() + 1 && type == JKVM_NOTE_ENTRY64
                    && nameIs(image, name, JKVM_NOTE_NAME)) {
                if (descsz != 8) {
                    throw image.fail("JKVM note has a " + descsz + "-byte descriptor; the 64-bit entry needs 8");
                }
                return OptionalLong.of(image.u64(desc, "JKVM note"));
            }
            pos = next;
        }
        return OptionalLong.empty();
    }

    private static boolean nameIs(Image image, long at, String name) throws LoaderException {
        for (int i = 0; i < name.length(); i++) {
            if (image.u8(at + i, "note name") != name.charAt(i)) {
                return false;
            }
        }
        return image.u8(at + name.length(), "note name") == 0;
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    public Image image() {
        return image;
    }

    public ElfClass elfClass() {
        return elfClass;
    }

    public int machine() {
        return machine;
    }

    /** {@code e_entry}, a virtual address. */
    public long entry() {
        return entry;
    }

    /** The {@code PT_LOAD} segments with {@code p_memsz > 0}, in program header order. */
    public List<Segment> segments() {
        return segments;
    }

    /** The physical 64-bit entry of the JKVM note, if the image has one. */
    public OptionalLong jkvmEntry64() {
        return jkvmEntry64;
    }

    /**
     * The physical address of virtual {@code address}, through the segment whose virtual range holds it (as
     * multiboot loaders translate {@code e_entry}); empty when no segment holds it.
     */
    public OptionalLong virtualToPhysical(long address) {
        for (Segment s : segments) {
            if (Long.compareUnsigned(address, s.virtAddr()) >= 0
                    && Long.compareUnsigned(address - s.virtAddr(), s.memSize()) < 0) {
                return OptionalLong.of(s.physAddr() + (address - s.virtAddr()));
            }
        }
        return OptionalLong.empty();
    }

    /** The segment holding physical {@code address}, if any. */
    public java.util.Optional<Segment> segmentAt(long address) {
        for (Segment s : segments) {
            if (Long.compareUnsigned(address, s.physAddr()) >= 0
                    && Long.compareUnsigned(address - s.physAddr(), s.memSize()) < 0) {
                return java.util.Optional.of(s);
            }
        }
        return java.util.Optional.empty();
    }
}
