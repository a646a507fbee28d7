package io.jkvm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmSregs;
import io.jkvm.mmu.Access;
import io.jkvm.mmu.GuestMemory;
import io.jkvm.mmu.PageWalker;
import io.jkvm.mmu.WalkResult;
import io.jkvm.runtime.GuestLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageLoaderTest {
    static final long RAM = 8L << 20;
    static final int MB_MAGIC = 0x1BADB002;

    Arena arena;
    MemorySegment memory;
    GuestRam ram;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        memory = arena.allocate(RAM, 4096);
        memory.fill((byte) 0xcc);   // not zero: loaders must zero what they promise to zero
        ram = GuestRam.of(memory);
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    static ImageLoader.Options opts(String cmdline) {
        return ImageLoader.Options.defaults(cmdline);
    }

    static byte[] hello() throws Exception {
        return Files.readAllBytes(TestGuests.image("hello.elf"));
    }

    /** The 64-bit entry of the JKVM note, found by scanning the file for the note's bytes (not with the parser). */
    static long noteEntry(byte[] file) {
        byte[] pattern = {5, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 'J', 'K', 'V', 'M', 0, 0, 0, 0};
        for (int i = 0; i + pattern.length + 8 <= file.length; i += 4) {
            if (Arrays.equals(file, i, i + pattern.length, pattern, 0, pattern.length)) {
                return ByteBuffer.wrap(file, i + pattern.length, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            }
        }
        throw new AssertionError("hello.elf has no JKVM note");
    }

    static int u32(byte[] file, int off) {
        return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(off);
    }

    String cString(long address) {
        StringBuilder sb = new StringBuilder();
        for (long a = address; memory.get(ValueLayout.JAVA_BYTE, a) != 0; a++) {
            sb.append((char) memory.get(ValueLayout.JAVA_BYTE, a));
        }
        return sb.toString();
    }

    int ramInt(long address) {
        return ram.getInt(address);
    }

    // ---------------------------------------------------------------- real guest images

    @Test
    void helloElfStartsInLongModeAtTheJkvmNoteEntryWithTheBootContractRegisters() throws Exception {
        byte[] file = hello();
        ImageLoader.LoadedImage loaded = ImageLoader.load(Image.of("hello.elf", file), ram, opts("hello a=1"));

        assertEquals(ImageLoader.Format.ELF32_JKVM, loaded.format());
        EntryState.LongMode entry = assertInstanceOf(EntryState.LongMode.class, loaded.entry());
        assertEquals(noteEntry(file), entry.rip());
        // the link map puts the multiboot header first in the text segment at 1 MiB
        assertEquals(MB_MAGIC, ramInt(GuestLayout.HIMEM_START));

        KvmRegs regs = KvmRegs.allocate(arena);
        KvmSregs sregs = KvmSregs.allocate(arena);
        regs.rax(0x1234).rdx(0x600);   // reset garbage the entry state must clear
        entry.applyTo(regs, sregs);
        assertEquals(noteEntry(file), regs.rip());
        assertEquals(0x2BADB002L, regs.rsi());
        assertEquals(GuestLayout.MULTIBOOT_INFO_START, regs.rdi());
        assertEquals(0, regs.rax());
        assertEquals(0, regs.rdx());
        assertEquals(0x2, regs.rflags(), "interrupts off");
        assertEquals(1, sregs.cs().l());
        assertEquals(0, sregs.cs().db());
        assertEquals(1, sregs.cs().present());
        assertEquals(GuestLayout.SELECTOR_CODE64, sregs.cs().selector());
        assertEquals(GuestLayout.SELECTOR_DATA, sregs.ds().selector());
        assertEquals(0xffffffffL, Integer.toUnsignedLong(sregs.ss().limit()));
        assertEquals(0x80000011L, sregs.cr0());
        assertEquals(0x20L, sregs.cr4());
        assertEquals(0x500L, sregs.efer());
        assertEquals(GuestLayout.PML4_START, sregs.cr3());
        assertEquals(GuestLayout.BOOT_GDT_START, sregs.gdt().base());
        assertEquals(0xb, sregs.tr().type(), "VMX needs a busy TSS in TR");

        // multiboot info: flags 0 (memory) and 2 (cmdline), the command line, memory sizes
        long info = regs.rdi();
        int flags = ramInt(info);
        assertTrue((flags & 1) != 0 && (flags & 4) != 0, "flags 0x" + Integer.toHexString(flags));
        assertEquals(639, ramInt(info + 4), "mem_lower in KiB");
        assertEquals((RAM - (1 << 20)) / 1024, Integer.toUnsignedLong(ramInt(info + 8)), "mem_upper in KiB");
        assertEquals("hello a=1", cString(Integer.toUnsignedLong(ramInt(info + 16))));
        assertEquals("hello a=1", loaded.commandLine());
    }

    @Test
    void theIdentityMapTranslatesEveryAddressBelow4GibToItselfPerTheMmuPageWalker() throws Exception {
        ImageLoader.LoadedImage loaded = ImageLoader.load(Image.of("hello.elf", hello()), ram, opts(null));
        EntryState.LongMode entry = (EntryState.LongMode) loaded.entry();
        GuestMemory gm = new GuestMemory(4);
        gm.setUserMemoryRegion(0, 0, 0, RAM, memory);
        PageWalker walker = new PageWalker(gm);
        assertTrue(walker.setRegisters(EntryState.CR0_PE | EntryState.CR0_PG, entry.cr3(), EntryState.CR4_PAE,
                EntryState.EFER_LME | EntryState.EFER_LMA, false));
        WalkResult out = new WalkResult();
        for (long linear : new long[] {0, 0x7c00, GuestLayout.HIMEM_START, entry.rip(), 0x1234_5678L, 0xd000_0008L,
                0xffff_f000L, 0xffff_ffffL}) {
            assertTrue(walker.walk(linear, Access.EXECUTE, false, false, out), "walk of 0x" + Long.toHexString(linear));
            assertEquals(linear, out.physicalAddress(), "0x" + Long.toHexString(linear));
            assertTrue(out.writable());
        }
        assertTrue(!walker.walk(4L << 30, Access.READ, false, false, out), "4 GiB and above are not mapped");
    }

    @Test
    void helloElfForcedToMultibootStartsInProtectedModeAtTheElfEntry() throws Exception {
        byte[] file = hello();
        ImageLoader.LoadedImage loaded = ImageLoader.load(Image.of("hello.elf", file), ram,
                opts("hello").withProtocol(ImageLoader.Protocol.MULTIBOOT));
        assertEquals(ImageLoader.Format.MULTIBOOT_ELF, loaded.format());
        EntryState.ProtectedMode entry = assertInstanceOf(EntryState.ProtectedMode.class, loaded.entry());
        assertEquals(Integer.toUnsignedLong(u32(file, 24)), entry.eip(), "e_entry of the ELF32 header");

        KvmRegs regs = KvmRegs.allocate(arena);
        KvmSregs sregs = KvmSregs.allocate(arena);
        entry.applyTo(regs, sregs);
        assertEquals(0x2BADB002L, regs.rax());
        assertEquals(GuestLayout.MULTIBOOT_INFO_START, regs.rbx());
        assertEquals(0x11L, sregs.cr0(), "PE and ET, paging off");
        assertEquals(0, sregs.efer());
        assertEquals(1, sregs.cs().db());
        assertEquals(0, sregs.cs().l());
        assertEquals(0, sregs.cs().base());
        assertEquals(0xffffffffL, Integer.toUnsignedLong(sregs.cs().limit()));
        assertEquals("hello", cString(Integer.toUnsignedLong(ramInt(regs.rbx() + 16))));
    }

    @Test
    void realmodeBinLoadsAt7c00AndStartsAt0000_7c00() throws Exception {
        byte[] file = Files.readAllBytes(TestGuests.image("realmode.bin"));
        ImageLoader.LoadedImage loaded = ImageLoader.load(Image.of("realmode.bin", file), ram, opts("realmode"));
        assertEquals(ImageLoader.Format.FLAT, loaded.format());
        EntryState.RealMode entry = assertInstanceOf(EntryState.RealMode.class, loaded.entry());
        assertEquals(0, entry.cs());
        assertEquals(0x7c00, entry.ip());
        byte[] inRam = memory.asSlice(0x7c00, file.length).toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(file, inRam);
        assertEquals((short) 0xaa55, memory.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0x7dfe), "boot signature");

        KvmRegs regs = KvmRegs.allocate(arena);
        KvmSregs sregs = KvmSregs.allocate(arena);
        entry.applyTo(regs, sregs);
        assertEquals(0x7c00, regs.rip());
        assertEquals(0, sregs.cs().base());
        assertEquals(0xffff, sregs.cs().limit());
        assertEquals(0, sregs.cr0() & EntryState.CR0_PE, "real mode");
        assertEquals(0, sregs.efer());
    }

    @Test
    void flatBinaryAtAnotherAddressGetsARealModeEntryThatReachesIt() throws Exception {
        byte[] code = {(byte) 0xf4};
        ImageLoader.Options o = new ImageLoader.Options(ImageLoader.Protocol.AUTO, null, false, 0x12340, null);
        EntryState.RealMode entry = (EntryState.RealMode) ImageLoader.load(Image.of("x.bin", code), ram, o).entry();
        assertEquals(0x12340, entry.entryPoint());
        assertEquals(0x1234, entry.cs());
        assertEquals(0, entry.ip());
    }

    // ---------------------------------------------------------------- refused images

    @ParameterizedTest(name = "hello.elf cut to {0} bytes")
    @ValueSource(ints = {4, 5, 20, 51, 52, 60, 100, 148, 200, 4096, 20000})
    void truncatedImagesAreRefusedWithAClearMessage(int length) throws Exception {
        byte[] file = hello();
        byte[] cut = Arrays.copyOf(file, Math.min(length, file.length - 1));
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("hello.elf", cut), ram, opts(null)));
        assertTrue(e.getMessage().startsWith("hello.elf: "), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void anEmptyFileIsRefused() {
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("empty.bin", new byte[0]), ram, opts(null)));
        assertEquals("empty.bin: empty image", e.getMessage());
    }

    @Test
    void truncatedProgramHeaderTableIsNamed() throws Exception {
        byte[] file = hello();
        int phoff = u32(file, 28);
        byte[] cut = Arrays.copyOf(file, phoff + 10);
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("hello.elf", cut), ram, opts(null)));
        assertTrue(e.getMessage().startsWith("hello.elf: truncated program header table"), e.getMessage());
    }

    @Test
    void wrongArchitectureIsRefused() {
        byte[] arm = ElfBuilder.elf64().machine(183).entry(0x100000)
                .load(0x100000, new byte[] {0}, 1, ElfBuilder.PF_X).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("arm.elf", arm), ram, opts(null)));
        assertEquals("arm.elf: not an x86 ELF (e_machine=183)", e.getMessage());
        byte[] riscv32 = ElfBuilder.elf32().machine(243).entry(0x100000)
                .load(0x100000, new byte[] {0}, 1, ElfBuilder.PF_X).build();
        e = assertThrows(LoaderException.class, () -> ImageLoader.load(Image.of("rv.elf", riscv32), ram, opts(null)));
        assertEquals("rv.elf: not an x86 ELF (e_machine=243)", e.getMessage());
    }

    @Test
    void overlappingSegmentsAreRefusedNamingBoth() {
        byte[] image = ElfBuilder.elf64().entry(0x100000)
                .load(0x100000, new byte[16], 0x2000, ElfBuilder.PF_X)
                .load(0x200000, new byte[16], 0x10, ElfBuilder.PF_R)
                .load(0x101000, new byte[16], 0x10, ElfBuilder.PF_W)
                .build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("ov.elf", image), ram, opts(null)));
        assertEquals("ov.elf: segment 2 [0x101000, 0x101010) overlaps segment 0 [0x100000, 0x102000)",
                e.getMessage());
    }

    @Test
    void segmentsOutsideRamAreRefusedWithTheRamSize() {
        byte[] image = ElfBuilder.elf64().entry(0x100000)
                .load(0x100000, new byte[16], 0x10_0000_0000L, ElfBuilder.PF_X).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("big.elf", image), ram, opts(null)));
        assertEquals("big.elf: segment 0 [0x100000, 0x1000100000) is outside guest RAM (ends at 0x1000100000, "
                + "RAM is 8 MiB)", e.getMessage());

        byte[] high = ElfBuilder.elf32().entry(0x7ff000)
                .load(0x7ff000, ElfBuilder.multibootHeader(3), 0x2000, ElfBuilder.PF_X).build();
        e = assertThrows(LoaderException.class, () -> ImageLoader.load(Image.of("hi.elf", high), ram, opts(null)));
        assertTrue(e.getMessage().contains("ends at 0x801000, RAM is 8 MiB"), e.getMessage());
    }

    @Test
    void segmentsWrappingTheAddressSpaceAreRefused() {
        byte[] image = ElfBuilder.elf64().entry(0x100000)
                .load(0xffff_ffff_ffff_f000L, new byte[16], 0x2000, ElfBuilder.PF_X).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("wrap.elf", image), ram, opts(null)));
        assertTrue(e.getMessage().contains("wraps around the address space"), e.getMessage());
    }

    @Test
    void segmentsOverTheLoadersOwnStructuresAreRefused() {
        byte[] image = ElfBuilder.elf64().entry(0x9000).load(0x9000, new byte[16], 0x10, ElfBuilder.PF_X).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("low.elf", image), ram, opts(null)));
        assertTrue(e.getMessage().startsWith("low.elf: segment 0 [0x9000, 0x9010) overlaps the boot page tables"),
                e.getMessage());
    }

    @Test
    void fileSizeLargerThanMemorySizeIsRefused() {
        byte[] image = ElfBuilder.elf64().entry(0x100000)
                .loadWithFilesz(0x100000, new byte[32], 32, 16).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("f.elf", image), ram, opts(null)));
        assertEquals("f.elf: segment 0 has p_filesz 0x20 larger than p_memsz 0x10", e.getMessage());
    }

    @Test
    void segmentBytesPastTheEndOfTheFileAreRefused() {
        byte[] image = ElfBuilder.elf64().entry(0x100000)
                .loadWithFilesz(0x100000, new byte[32], 0x10000, 0x10000).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("t.elf", image), ram, opts(null)));
        assertTrue(e.getMessage().startsWith("t.elf: truncated segment 0"), e.getMessage());
    }

    @Test
    void wrongProgramHeaderEntrySizeAndNonExecutablesAreRefused() {
        byte[] badEntsize = ElfBuilder.elf64().phentsize(40).entry(0x100000)
                .load(0x100000, new byte[16], 16, ElfBuilder.PF_X).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("p.elf", badEntsize), ram, opts(null)));
        assertTrue(e.getMessage().contains("program header entries of 40 bytes"), e.getMessage());
        byte[] shared = ElfBuilder.elf64().type(3).entry(0x100000)
                .load(0x100000, new byte[16], 16, ElfBuilder.PF_X).build();
        e = assertThrows(LoaderException.class, () -> ImageLoader.load(Image.of("so.elf", shared), ram, opts(null)));
        assertEquals("so.elf: not an executable ELF (e_type=3, jkvm loads ET_EXEC=2 only)", e.getMessage());
    }

    @Test
    void elf32WithoutMultibootHeaderOrNoteIsRefused() {
        byte[] image = ElfBuilder.elf32().entry(0x100000).load(0x100000, new byte[64], 64, ElfBuilder.PF_X).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("plain.elf", image), ram, opts(null)));
        assertEquals("plain.elf: no multiboot header in the first 8 KiB", e.getMessage());
    }

    @Test
    void entryOutsideEverySegmentIsRefused() {
        byte[] image = ElfBuilder.elf32().entry(0x300000)
                .load(0x100000, ElfBuilder.code(ElfBuilder.multibootHeader(3), 64, 0x90), 64, ElfBuilder.PF_X).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("e.elf", image), ram, opts(null)));
        assertEquals("e.elf: entry point 0x300000 is not inside any loadable segment", e.getMessage());
        byte[] note = ElfBuilder.elf32().entry(0x100000)
                .load(0x100000, ElfBuilder.code(ElfBuilder.multibootHeader(3), 64, 0x90), 64, ElfBuilder.PF_X)
                .note(ElfBuilder.jkvmNote(0x500000)).build();
        e = assertThrows(LoaderException.class, () -> ImageLoader.load(Image.of("n.elf", note), ram, opts(null)));
        assertEquals("n.elf: JKVM note's 64-bit entry 0x500000 is not inside any loadable segment", e.getMessage());
    }

    @Test
    void aVideoModeRequestIsRefused() {
        byte[] image = ElfBuilder.elf32().entry(0x100000)
                .load(0x100000, ElfBuilder.code(ElfBuilder.multibootHeader(1 | 4), 64, 0x90), 64, ElfBuilder.PF_X)
                .build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("v.elf", image), ram, opts(null)));
        assertTrue(e.getMessage().contains("requires a video mode (flag 2)"), e.getMessage());
    }

    @Test
    void aCommandLineThatDoesNotFitIsRefusedBeforeAnythingIsWritten() throws Exception {
        String tooLong = "x".repeat(GuestLayout.CMDLINE_MAX_SIZE);
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("hello.elf", hello()), ram, opts(tooLong)));
        assertEquals("hello.elf: command line is 4096 bytes; at most 4095 fit", e.getMessage());
        assertEquals((byte) 0xcc, memory.get(ValueLayout.JAVA_BYTE, GuestLayout.HIMEM_START), "nothing loaded");
    }

    @Test
    void flatBinariesRefuseGuestArgumentsInsteadOfDroppingThem() throws Exception {
        byte[] file = Files.readAllBytes(TestGuests.image("realmode.bin"));
        ImageLoader.Options o = new ImageLoader.Options(ImageLoader.Protocol.AUTO, "realmode x", true, 0x7c00, null);
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("realmode.bin", file), ram, o));
        assertTrue(e.getMessage().contains("flat binary, which takes no command line"), e.getMessage());
    }

    @Test
    void flatBinaryLargerThanRamIsRefused() {
        byte[] big = new byte[(int) RAM];
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("big.bin", big), ram, opts(null)));
        assertEquals("big.bin: image is outside guest RAM (ends at 0x807c00, RAM is 8 MiB)", e.getMessage());
    }

    @Test
    void missingFilesAndDirectoriesAreLoaderErrors(@org.junit.jupiter.api.io.TempDir Path dir) {
        LoaderException e = assertThrows(LoaderException.class, () -> Image.read(dir.resolve("nope.elf")));
        assertEquals(dir.resolve("nope.elf") + ": no such file", e.getMessage());
        e = assertThrows(LoaderException.class, () -> Image.read(dir));
        assertEquals(dir + ": is a directory, not an image file", e.getMessage());
    }

    /**
     * Hostile images: thousands of seeded random corruptions of a real guest. Each must either load or be refused
     * with a LoaderException naming the file; nothing else may escape (no index or arithmetic exceptions).
     */
    @Test
    void corruptedImagesLoadOrAreRefusedButNeverThrowAnythingElse() throws Exception {
        byte[] file = hello();
        Random random = new Random(20261123);
        int refused = 0;
        for (int round = 0; round < 3000; round++) {
            byte[] bad = file.clone();
            int edits = 1 + random.nextInt(4);
            for (int i = 0; i < edits; i++) {
                // mostly the headers (first 256 bytes), where the interesting fields are
                int at = random.nextInt(4) == 0 ? random.nextInt(bad.length) : random.nextInt(256);
                bad[at] = (byte) random.nextInt(256);
            }
            try {
                ImageLoader.load(Image.of("fuzz.elf", bad), ram, opts("fuzz"));
            } catch (LoaderException e) {
                refused++;
                assertTrue(e.getMessage().startsWith("fuzz.elf: "), e.getMessage());
            }
        }
        assertTrue(refused > 100, "most header corruptions should be refused, got " + refused);
    }

    // ---------------------------------------------------------------- other formats

    @Test
    void elf64StartsInLongModeAtEEntryAndZeroesItsBss() throws Exception {
        byte[] code = {(byte) 0xf4, (byte) 0xeb, (byte) 0xfd};
        byte[] image = ElfBuilder.elf64().entry(0x200001)
                .load(0x200000, code, 0x3000, ElfBuilder.PF_X | ElfBuilder.PF_R).build();
        ImageLoader.LoadedImage loaded = ImageLoader.load(Image.of("k.elf", image), ram, opts("k"));
        assertEquals(ImageLoader.Format.ELF64, loaded.format());
        EntryState.LongMode entry = (EntryState.LongMode) loaded.entry();
        assertEquals(0x200001, entry.rip());
        assertEquals(GuestLayout.MULTIBOOT_INFO_START, entry.rdi());
        assertArrayEquals(code, memory.asSlice(0x200000, 3).toArray(ValueLayout.JAVA_BYTE));
        byte[] bss = memory.asSlice(0x200003, 0x3000 - 3).toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(new byte[bss.length], bss, "p_memsz beyond p_filesz is zeroed");
        assertEquals((byte) 0xcc, memory.get(ValueLayout.JAVA_BYTE, 0x203000), "nothing written past the segment");
    }

    @Test
    void elf64LinkedAtAnotherVirtualAddressIsRefusedForLongMode() {
        byte[] image = ElfBuilder.elf64().entry(0xffffffff80000000L)
                .load(0x200000, 0xffffffff80000000L, new byte[16], 16, ElfBuilder.PF_X).build();
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("hh.elf", image), ram, opts(null)));
        assertTrue(e.getMessage().contains("p_vaddr 0xffffffff80000000 != p_paddr 0x200000"), e.getMessage());
    }

    @Test
    void multibootElf32TranslatesAVirtualEntryThroughItsSegment() throws Exception {
        byte[] text = ElfBuilder.code(ElfBuilder.multibootHeader(3), 256, 0x90);
        byte[] image = ElfBuilder.elf32().entry(0xc0100010L)
                .load(0x100000, 0xc0100000L, text, 256, ElfBuilder.PF_X).build();
        ImageLoader.LoadedImage loaded = ImageLoader.load(Image.of("hh32.elf", image), ram, opts(null));
        assertEquals(ImageLoader.Format.MULTIBOOT_ELF, loaded.format());
        assertEquals(0x100010, loaded.entry().entryPoint());
    }

    @Test
    void aoutKludgeLoadsWhereTheHeaderSaysAndZeroesBss() throws Exception {
        // file: 0x40 bytes of code prefix, then the header at file offset 0x40, more code
        int flags = 3 | (1 << 16);
        long loadAddr = 0x200000;
        long headerAddr = loadAddr + 0x40;
        long loadEnd = loadAddr + 0x100;
        long bssEnd = loadAddr + 0x2000;
        long entryAddr = loadAddr + 0x60;
        byte[] file = new byte[0x180];   // longer than load_end: the tail is not loaded
        Arrays.fill(file, (byte) 0x90);
        byte[] header = ElfBuilder.multibootHeader(flags, headerAddr, loadAddr, loadEnd, bssEnd, entryAddr);
        System.arraycopy(header, 0, file, 0x40, header.length);

        ImageLoader.LoadedImage loaded = ImageLoader.load(Image.of("k.aout", file), ram, opts("k quiet"));
        assertEquals(ImageLoader.Format.MULTIBOOT_AOUT, loaded.format());
        EntryState.ProtectedMode entry = (EntryState.ProtectedMode) loaded.entry();
        assertEquals(entryAddr, entry.eip());
        assertEquals(0x2BADB002L, entry.eax());
        assertArrayEquals(Arrays.copyOf(file, 0x100), memory.asSlice(loadAddr, 0x100).toArray(ValueLayout.JAVA_BYTE));
        byte[] bss = memory.asSlice(loadEnd, bssEnd - loadEnd).toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(new byte[bss.length], bss);
        assertEquals((byte) 0xcc, memory.get(ValueLayout.JAVA_BYTE, bssEnd));
        assertEquals("k quiet", cString(Integer.toUnsignedLong(ramInt(entry.ebx() + 16))));
    }

    @Test
    void aoutKludgeWithLoadEndPastTheFileIsRefusedAsTruncated() {
        int flags = 3 | (1 << 16);
        byte[] file = new byte[0x80];
        byte[] header = ElfBuilder.multibootHeader(flags, 0x200000, 0x200000, 0x201000, 0, 0x200020);
        System.arraycopy(header, 0, file, 0, header.length);
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("short.aout", file), ram, opts(null)));
        assertTrue(e.getMessage().startsWith("short.aout: truncated image: multiboot load_end_addr 0x201000"),
                e.getMessage());
    }

    @Test
    void aoutKludgeWithEntryOutsideTheImageIsRefused() {
        int flags = 3 | (1 << 16);
        byte[] file = new byte[0x80];
        byte[] header = ElfBuilder.multibootHeader(flags, 0x200000, 0x200000, 0, 0, 0x300000);
        System.arraycopy(header, 0, file, 0, header.length);
        LoaderException e = assertThrows(LoaderException.class,
                () -> ImageLoader.load(Image.of("x.aout", file), ram, opts(null)));
        assertTrue(e.getMessage().contains("entry_addr 0x300000 is outside the loaded image"), e.getMessage());
    }

    @Test
    void multibootInfoHasAMemoryMapAndTheLoaderName() throws Exception {
        ImageLoader.load(Image.of("hello.elf", hello()), ram, opts(null));
        long info = GuestLayout.MULTIBOOT_INFO_START;
        int flags = ramInt(info);
        assertEquals(0, flags & 4, "no command line given, flag 2 clear");
        assertTrue((flags & (1 << 6)) != 0);
        int length = ramInt(info + 44);
        long mmap = Integer.toUnsignedLong(ramInt(info + 48));
        assertEquals(48, length, "two 24-byte entries");
        assertEquals(20, ramInt(mmap));
        assertEquals(0, ram.getLong(mmap + 4));
        assertEquals(0x9fc00, ram.getLong(mmap + 12));
        assertEquals(1, ramInt(mmap + 20));
        assertEquals(GuestLayout.HIMEM_START, ram.getLong(mmap + 24 + 4));
        assertEquals(RAM - GuestLayout.HIMEM_START, ram.getLong(mmap + 24 + 12));
        assertEquals("jkvm", cString(Integer.toUnsignedLong(ramInt(info + 64))));
    }
}
