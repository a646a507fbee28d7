package io.jkvm.guests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jkvm.guests.GuestCatalog.Guest;
import io.jkvm.guests.GuestCatalog.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Checks the built images without running them: ELF32 + multiboot + JKVM note, boot sector, index. */
class ImageFormatTest {

    static final int MULTIBOOT_MAGIC = 0x1BADB002;
    static final int MULTIBOOT_SEARCH = 8192;
    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;
    static final int PF_X = 1;
    static final long LOAD_ADDRESS = 0x100000;

    static Path imagesDir() {
        return Path.of(System.getProperty("jkvm.guests.images", "target/images"));
    }

    static List<Guest> guests() throws IOException {
        return GuestCatalog.parse(Files.newInputStream(imagesDir().resolve(GuestCatalog.INDEX)));
    }

    @Test
    void indexListsAtLeastTenComputeGuestsWhoseFilesExist() throws IOException {
        List<Guest> compute = guests().stream().filter(g -> g.kind() == Kind.COMPUTE).toList();
        assertTrue(compute.size() >= 10, "compute guests in the index: " + compute.size());
        for (Guest g : guests()) {
            assertTrue(Files.isRegularFile(imagesDir().resolve(g.fileName())), "missing image " + g.fileName());
            assertFalse(g.description().isBlank(), g.name() + " has no description");
        }
    }

    @Test
    void indexListsTheSystemGuests() throws IOException {
        List<String> names = guests().stream().map(Guest::name).toList();
        for (String required : List.of("hello", "realmode", "pio", "mmio", "cpuid", "hypercall", "trap")) {
            assertTrue(names.contains(required), "index lacks " + required + ": " + names);
        }
    }

    @Test
    void classPathCatalogMatchesTheBuiltIndex() throws IOException {
        assertEquals(guests(), GuestCatalog.load());
        Guest hello = GuestCatalog.find("hello").orElseThrow();
        assertArrayEquals(Files.readAllBytes(imagesDir().resolve("hello.elf")), hello.bytes());
    }

    @Test
    void malformedIndexLinesAreRejectedWithTheirLineNumber() {
        String text = "# comment\nok\tsystem\tok.elf\tfine\nbad\tsystem\tbad.elf\n";
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> GuestCatalog.parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @TestFactory
    Stream<DynamicTest> elfImagesAreMultibootElf32WithAJkvmNote() throws IOException {
        return guests().stream().filter(Guest::isElf).map(g -> DynamicTest.dynamicTest(g.name(),
                () -> checkElfImage(Files.readAllBytes(imagesDir().resolve(g.fileName())))));
    }

    @TestFactory
    Stream<DynamicTest> flatImagesAreBootSectors() throws IOException {
        return guests().stream().filter(g -> !g.isElf()).map(g -> DynamicTest.dynamicTest(g.name(), () -> {
            byte[] image = Files.readAllBytes(imagesDir().resolve(g.fileName()));
            assertEquals(512, image.length, "boot sector size");
            assertEquals(0x55, image[510] & 0xff);
            assertEquals(0xAA, image[511] & 0xff);
        }));
    }

    record Segment(int type, long offset, long paddr, long filesz, long memsz, int flags) {
        boolean contains(long address) {
            return address >= paddr && address < paddr + memsz;
        }
    }

    static void checkElfImage(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x464c457f, b.getInt(0), "ELF magic");
        assertEquals(1, image[4], "ELFCLASS32");
        assertEquals(1, image[5], "little endian");
        assertEquals(2, b.getShort(16), "ET_EXEC");
        assertEquals(3, b.getShort(18), "EM_386");
        long entry = Integer.toUnsignedLong(b.getInt(24));
        int phoff = b.getInt(28);
        int phentsize = b.getShort(42);
        int phnum = b.getShort(44);
        assertEquals(32, phentsize, "ELF32 program header size");

        Segment[] segments = new Segment[phnum];
        for (int i = 0; i < phnum; i++) {
            int p = phoff + i * phentsize;
            segments[i] = new Segment(b.getInt(p), Integer.toUnsignedLong(b.getInt(p + 4)),
                    Integer.toUnsignedLong(b.getInt(p + 12)), Integer.toUnsignedLong(b.getInt(p + 16)),
                    Integer.toUnsignedLong(b.getInt(p + 20)), b.getInt(p + 24));
        }
        List<Segment> loads = Stream.of(segments).filter(s -> s.type() == PT_LOAD).toList();
        assertFalse(loads.isEmpty(), "no PT_LOAD segment");
        assertEquals(LOAD_ADDRESS, loads.stream().mapToLong(Segment::paddr).min().orElseThrow(), "linked at 1 MiB");
        assertTrue(loads.stream().anyMatch(s -> s.contains(entry) && (s.flags() & PF_X) != 0),
                "entry 0x" + Long.toHexString(entry) + " is not in an executable loaded segment");

        checkMultibootHeader(b, image.length);

        Segment note = Stream.of(segments).filter(s -> s.type() == PT_NOTE).findFirst()
                .orElseThrow(() -> new AssertionError("no PT_NOTE segment"));
        long entry64 = findJkvmNote(b, note);
        assertTrue(loads.stream().anyMatch(s -> s.contains(entry64) && (s.flags() & PF_X) != 0),
                "JKVM note's 64-bit entry 0x" + Long.toHexString(entry64) + " is not in an executable loaded segment");
        assertTrue(entry64 != entry, "64-bit entry must differ from the 32-bit multiboot entry");
    }

    static void checkMultibootHeader(ByteBuffer b, int length) {
        for (int off = 0; off + 12 <= Math.min(length, MULTIBOOT_SEARCH); off += 4) {
            if (b.getInt(off) == MULTIBOOT_MAGIC) {
                int flags = b.getInt(off + 4);
                int checksum = b.getInt(off + 8);
                assertEquals(0, MULTIBOOT_MAGIC + flags + checksum, "multiboot checksum");
                assertEquals(0x3, flags & 0x3, "flags: page-align and memory info");
                assertEquals(0, flags & (1 << 16), "ELF form: no a.out load-address fields");
                return;
            }
        }
        throw new AssertionError("no multiboot header in the first 8 KiB");
    }

    static long findJkvmNote(ByteBuffer b, Segment note) {
        long p = note.offset();
        long end = note.offset() + note.filesz();
        while (p + 12 <= end) {
            int namesz = b.getInt((int) p);
            int descsz = b.getInt((int) p + 4);
            int type = b.getInt((int) p + 8);
            int name = (int) p + 12;
            int desc = name + align4(namesz);
            String owner = new String(b.array(), name, Math.max(0, namesz - 1), StandardCharsets.US_ASCII);
            if (owner.equals("JKVM") && type == 1) {
                assertEquals(8, descsz, "JKVM note descriptor size");
                return b.getLong(desc);
            }
            p = desc + align4(descsz);
        }
        throw new AssertionError("no JKVM note (type 1) in the PT_NOTE segment");
    }

    static int align4(int n) {
        return (n + 3) & ~3;
    }
}
