package io.jkvm.translator.jit.sys;

import io.jkvm.mmu.GuestMemory;
import io.jkvm.mmu.Mmu;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.VcpuConfig;
import io.jkvm.translator.decoder.CodeSize;
import io.jkvm.translator.decoder.DecodeException;
import io.jkvm.translator.decoder.Decoder;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.jit.Helpers;
import io.jkvm.translator.jit.JitMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.List;

/**
 * A vcpu over 4 MiB of real guest RAM (native memory in a {@link GuestMemory} slot, the real {@link Mmu} and the
 * JIT's {@link JitMemory}), with builders for the system structures tests need: a GDT with ring 0 and ring 3
 * segments and a 64-bit TSS, an IDT, identity-mapped 4-level page tables. Instructions are decoded from their
 * bytes by the real decoder and executed through {@link Helpers#execute}, exactly as generated code calls them.
 */
final class Machine implements AutoCloseable {
    static final long RAM_SIZE = 4 << 20;
    static final long GDT = 0x1000, IDT = 0x2000, TSS = 0x3000;
    static final long PML4 = 0x10000, PDPT = 0x11000, PD = 0x12000, PT = 0x13000;
    static final long RSP0 = 0x80000, IST1 = 0x90000;
    /** GDT selectors. */
    static final int KCODE = 0x08, KDATA = 0x10, UDATA = 0x18, UCODE = 0x20, TSS_SEL = 0x28, KCODE32 = 0x38,
            UCODE32 = 0x40, KDATA16 = 0x48;
    static final long PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_PS = 0x80;

    final Arena arena = Arena.ofConfined();
    final MemorySegment ram = arena.allocate(RAM_SIZE, 4096);
    final GuestMemory memory = new GuestMemory(8);
    final CpuState cpu = new CpuState();
    final Mmu mmu;
    final JitMemory mem;

    Machine() {
        memory.setUserMemoryRegion(0, 0, 0, RAM_SIZE, ram);
        mmu = new Mmu(memory);
        mem = new JitMemory(cpu, mmu);
        cpu.config.cpuid = intelModel();
    }

    /** A CPUID table like the JIT backend's: GenuineIntel, long mode, NX, SYSCALL, 48-bit physical addresses. */
    static List<VcpuConfig.CpuidEntry> intelModel() {
        return List.of(
                new VcpuConfig.CpuidEntry(0, 0, 0, 7, 0x756e6547, 0x6c65746e, 0x49656e69),
                new VcpuConfig.CpuidEntry(1, 0, 0, 0x000306a9, 0x800, 0, 0x0709a178),
                new VcpuConfig.CpuidEntry(7, 0, 1, 0, 0, 0, 0),
                new VcpuConfig.CpuidEntry(0x80000000, 0, 0, 0x80000008, 0, 0, 0),
                new VcpuConfig.CpuidEntry(0x80000001, 0, 0, 0, 0, 1, (1 << 11) | (1 << 20) | (1 << 29)),
                new VcpuConfig.CpuidEntry(0x80000008, 0, 0, 0x3030, 0, 0, 0));
    }

    @Override
    public void close() {
        arena.close();
    }

    // ---------------------------------------------------------------- guest memory

    long get64(long gpa) {
        return ram.get(ValueLayout.JAVA_LONG_UNALIGNED, gpa);
    }

    long get32(long gpa) {
        return ram.get(ValueLayout.JAVA_INT_UNALIGNED, gpa) & 0xffffffffL;
    }

    int get16(long gpa) {
        return ram.get(ValueLayout.JAVA_SHORT_UNALIGNED, gpa) & 0xffff;
    }

    int get8(long gpa) {
        return ram.get(ValueLayout.JAVA_BYTE, gpa) & 0xff;
    }

    void put64(long gpa, long v) {
        ram.set(ValueLayout.JAVA_LONG_UNALIGNED, gpa, v);
    }

    void put32(long gpa, long v) {
        ram.set(ValueLayout.JAVA_INT_UNALIGNED, gpa, (int) v);
    }

    void put16(long gpa, long v) {
        ram.set(ValueLayout.JAVA_SHORT_UNALIGNED, gpa, (short) v);
    }

    void put8(long gpa, long v) {
        ram.set(ValueLayout.JAVA_BYTE, gpa, (byte) v);
    }

    // ---------------------------------------------------------------- executing

    CodeSize mode() {
        return switch (cpu.codeSize()) {
            case 8 -> CodeSize.BITS64;
            case 4 -> CodeSize.BITS32;
            default -> CodeSize.BITS16;
        };
    }

    /** Decodes {@code hex} (e.g. "48 cf") as the instruction at RIP in the current mode. */
    Instruction decode(String hex) {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        try {
            return Decoder.decode(b, 0, b.length, cpu.rip, mode());
        } catch (DecodeException e) {
            throw new IllegalArgumentException("cannot decode " + hex, e);
        }
    }

    /** Runs the instruction {@code hex} at RIP through the helper table; returns the {@code Status}. */
    int exec(String hex) {
        return Helpers.execute(cpu, mem, decode(hex));
    }

    /** Pushes the paging registers and CPL to the MMU after a test changed them directly. */
    void sync() {
        mem.controlRegistersChanged(cpu);
    }

    // ---------------------------------------------------------------- descriptors

    /** An 8-byte code/data descriptor: base 0, limit 4 GiB, {@code access} = P|DPL|S|type byte, {@code flags} = G|D|L. */
    static long flatDescriptor(int access, int flags) {
        return 0xffffL | (0xfL << 48) | ((long) access << 40) | ((long) flags << 52);
    }

    static final long KCODE64_DESC = flatDescriptor(0x9b, 0xa), KDATA_DESC = flatDescriptor(0x93, 0xc),
            UDATA_DESC = flatDescriptor(0xf3, 0xc), UCODE64_DESC = flatDescriptor(0xfb, 0xa),
            KCODE32_DESC = flatDescriptor(0x9b, 0xc), UCODE32_DESC = flatDescriptor(0xfb, 0xc),
            KDATA16_DESC = 0xffffL | (0x93L << 40);

    /** Writes the GDT (null, ring 0/3 code and data, a 64-bit TSS, 32-bit code) and loads GDTR. */
    void buildGdt() {
        put64(GDT, 0);
        put64(GDT + KCODE, KCODE64_DESC);
        put64(GDT + KDATA, KDATA_DESC);
        put64(GDT + UDATA, UDATA_DESC);
        put64(GDT + UCODE, UCODE64_DESC);
        put64(GDT + TSS_SEL, 0x67 | ((TSS & 0xffffff) << 16) | (0x89L << 40) | (((TSS >>> 24) & 0xff) << 56));
        put64(GDT + TSS_SEL + 8, TSS >>> 32);
        put64(GDT + KCODE32, KCODE32_DESC);
        put64(GDT + UCODE32, UCODE32_DESC);
        put64(GDT + KDATA16, KDATA16_DESC);
        cpu.gdtBase = GDT;
        cpu.gdtLimit = 0x4f;
        put64(TSS + 4, RSP0);
        put64(TSS + 0x24, IST1);
        put16(TSS + 0x66, 0x68);
    }

    /** A 16-byte long-mode gate for {@code vector}: {@code type} 0xE (interrupt) or 0xF (trap). */
    void gate64(int vector, long handler, int dpl, int ist, int type) {
        long a = IDT + vector * 16L;
        long lo = (handler & 0xffff) | ((long) KCODE << 16) | ((long) ist << 32) | ((long) (0x80 | dpl << 5 | type) << 40)
                | ((handler & 0xffff0000L) << 32);
        put64(a, lo);
        put64(a + 8, handler >>> 32);
    }

    /** An 8-byte protected-mode gate. */
    void gate32(int vector, int selector, long handler, int dpl, int type) {
        long lo = (handler & 0xffff) | ((long) selector << 16) | ((long) (0x80 | dpl << 5 | type) << 40)
                | ((handler & 0xffff0000L) << 32);
        put64(IDT + vector * 8L, lo);
    }

    /** Identity-maps the first 4 MiB with 2 MiB pages (user, writable) and returns CR3. */
    long buildPageTables() {
        ram.asSlice(PML4, 0x4000).fill((byte) 0);
        put64(PML4, PDPT | PTE_P | PTE_RW | PTE_US);
        put64(PDPT, PD | PTE_P | PTE_RW | PTE_US);
        put64(PD, PTE_P | PTE_RW | PTE_US | PTE_PS);
        put64(PD + 8, 0x200000 | PTE_P | PTE_RW | PTE_US | PTE_PS);
        return PML4;
    }

    /** Remaps 2-4 MiB with 4 KiB pages so single pages can be unmapped ({@link #unmap}). */
    void splitSecondLargePage() {
        for (int i = 0; i < 512; i++) {
            put64(PT + i * 8L, (0x200000 + i * 4096L) | PTE_P | PTE_RW | PTE_US);
        }
        put64(PD + 8, PT | PTE_P | PTE_RW | PTE_US);
        mmu.tlb().flush();
    }

    void unmap(long va) {
        put64(PT + ((va - 0x200000) >>> 12) * 8, 0);
        mmu.tlb().flush();
    }

    /** Loads segment register {@code seg} from the GDT entry {@code selector} names. */
    void loadSegment(int seg, int selector) {
        cpu.seg[seg].loadDescriptor(selector, get64(GDT + (selector & ~7)), 0);
    }

    /**
     * 64-bit long mode at {@code cpl} (0 or 3) with paging, GDT, 64-bit TSS (RSP0, IST1) and an empty IDT; RSP in
     * the matching stack, IF set.
     */
    void longMode(int cpl) {
        buildGdt();
        cpu.cr0 = CpuState.CR0_PE | CpuState.CR0_PG | CpuState.CR0_ET | CpuState.CR0_NE | CpuState.CR0_WP;
        cpu.cr3 = buildPageTables();
        cpu.cr4 = CpuState.CR4_PAE;
        cpu.efer = CpuState.EFER_LME | CpuState.EFER_LMA | CpuState.EFER_SCE | CpuState.EFER_NXE;
        int code = cpl == 3 ? UCODE | 3 : KCODE;
        int data = cpl == 3 ? UDATA | 3 : KDATA;
        loadSegment(CpuState.CS, code);
        for (int s : new int[]{CpuState.SS, CpuState.DS, CpuState.ES, CpuState.FS, CpuState.GS}) {
            loadSegment(s, data);
        }
        cpu.tr.loadDescriptor(TSS_SEL, get64(GDT + TSS_SEL) | (2L << 40), get64(GDT + TSS_SEL + 8));
        cpu.idtBase = IDT;
        cpu.idtLimit = 256 * 16 - 1;
        ram.asSlice(IDT, 4096).fill((byte) 0);
        cpu.gpr[CpuState.RSP] = cpl == 3 ? 0x70000 : 0x60000;
        cpu.setRflags(Flags.FIXED | Flags.IF);
        cpu.rip = 0x100000;
        sync();
    }

    /** 32-bit protected mode without paging at {@code cpl}, flat segments, 8-byte IDT gates. */
    void protectedMode32(int cpl) {
        buildGdt();
        cpu.cr0 = CpuState.CR0_PE | CpuState.CR0_ET | CpuState.CR0_NE;
        cpu.cr3 = 0;
        cpu.cr4 = 0;
        cpu.efer = 0;
        int code = cpl == 3 ? UCODE32 | 3 : KCODE32;
        int data = cpl == 3 ? UDATA | 3 : KDATA;
        loadSegment(CpuState.CS, code);
        for (int s : new int[]{CpuState.SS, CpuState.DS, CpuState.ES, CpuState.FS, CpuState.GS}) {
            loadSegment(s, data);
        }
        cpu.idtBase = IDT;
        cpu.idtLimit = 256 * 8 - 1;
        ram.asSlice(IDT, 4096).fill((byte) 0);
        cpu.gpr[CpuState.RSP] = cpl == 3 ? 0x70000 : 0x60000;
        cpu.setRflags(Flags.FIXED | Flags.IF);
        cpu.rip = 0x100000;
        sync();
    }

    /** Real mode as after reset, with CS:IP = 0000:7C00 and SS:SP = 0000:7000. */
    void realMode() {
        cpu.reset();
        cpu.seg[CpuState.CS].loadReal(0);
        cpu.rip = 0x7c00;
        cpu.gpr[CpuState.RSP] = 0x7000;
        cpu.idtBase = 0;
        cpu.idtLimit = 0x3ff;
        sync();
    }

    /** Assembles 64-bit Intel-syntax code with GNU as and objcopy; the test is skipped where binutils is missing. */
    static byte[] assemble(String source) {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("jkvm-sys-as");
            java.nio.file.Files.writeString(dir.resolve("t.s"), ".intel_syntax noprefix\n.code64\n" + source + "\n");
            tool(dir, "as", "--64", "-o", "t.o", "t.s");
            tool(dir, "objcopy", "-O", "binary", "t.o", "t.bin");
            return java.nio.file.Files.readAllBytes(dir.resolve("t.bin"));
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("binutils (as, objcopy) not usable: " + e.getMessage());
            throw new AssertionError(e);
        }
    }

    private static void tool(java.nio.file.Path dir, String... command) throws java.io.IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        try {
            if (p.waitFor() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException(e);
        }
    }

    /** Copies the architectural state this machine set up into another vcpu's state (the JIT executor's). */
    void copyStateTo(CpuState to) {
        System.arraycopy(cpu.gpr, 0, to.gpr, 0, 16);
        to.rip = cpu.rip;
        to.setRflags(cpu.getRflags());
        for (int i = 0; i < 6; i++) {
            to.seg[i].copyFrom(cpu.seg[i]);
        }
        to.tr.copyFrom(cpu.tr);
        to.ldtr.copyFrom(cpu.ldtr);
        to.gdtBase = cpu.gdtBase;
        to.gdtLimit = cpu.gdtLimit;
        to.idtBase = cpu.idtBase;
        to.idtLimit = cpu.idtLimit;
        to.cr0 = cpu.cr0;
        to.cr3 = cpu.cr3;
        to.cr4 = cpu.cr4;
        to.efer = cpu.efer;
        to.config.cpuid = cpu.config.cpuid;
    }
}
