package io.jkvm.runtime;

/**
 * Every guest-physical address jkvm's loaders and devices use, in one place (as Firecracker's {@code layout.rs}).
 * Nothing else in the VMM writes an address inline.
 *
 * <pre>
 *   0x0000_0000  real-mode IVT and BIOS data area (left alone: flat real-mode images may use them)
 *   0x0000_0500  BOOT_GDT       the loader's GDT (null, 64-bit code, flat data, 32-bit code, TSS)
 *   0x0000_0540  BOOT_IDT       an empty IDT (interrupts are off at entry; any exception shuts the guest down)
 *   0x0000_1000  MULTIBOOT_INFO multiboot v1 information structure
 *   0x0000_1800  MULTIBOOT_MMAP its memory map (flag 6)
 *   0x0000_1f00  BOOT_LOADER_NAME "jkvm"
 *   0x0000_2000  CMDLINE        the guest command line, NUL-terminated, at most CMDLINE_MAX_SIZE bytes
 *   0x0000_7c00  FLAT_LOAD_DEFAULT  where flat (boot-sector) binaries load by default, started at 0000:7C00
 *   0x0000_8ff0  BOOT_STACK_POINTER initial stack pointer of loader-started ELF guests (16-byte aligned)
 *   0x0000_9000  PML4 .. PD[3]  the long-mode identity map of the first 4 GiB in 2 MiB pages (6 pages)
 *   0x0009_fc00  end of conventional memory (mem_lower = 639 KiB)
 *   0x0010_0000  HIMEM_START    kernels (multiboot images) load here and above
 *   0xc000_0000  MMIO_HOLE_START RAM never reaches this: the top GiB below 4 GiB is the MMIO hole
 *                (the guests' heap stops here and the mmio guest uses 0xd000_0000)
 *   0xfffb_d000  KVM_TSS_ADDRESS three pages KVM reserves for itself (KVM_SET_TSS_ADDR)
 * </pre>
 */
public final class GuestLayout {
    private GuestLayout() {
    }

    /** Page size of the guest (and of RAM allocation granularity). */
    public static final long PAGE_SIZE = 0x1000;

    /** Real-mode interrupt vector table and BIOS data area end here; the loader's structures start after. */
    public static final long REAL_MODE_RESERVED_END = 0x500;

    /** The loader's GDT; see {@link #GDT_ENTRIES}. */
    public static final long BOOT_GDT_START = 0x500;
    /** Descriptors in the boot GDT: null, 64-bit code, data, 32-bit code, and a 16-byte (two-slot) TSS. */
    public static final int GDT_ENTRIES = 6;
    /** An 8-byte IDT with one non-present gate, as Firecracker does: the IDTR points at real memory. */
    public static final long BOOT_IDT_START = 0x540;
    public static final long BOOT_IDT_SIZE = 8;

    /** Selectors of the boot GDT. */
    public static final int SELECTOR_CODE64 = 0x08;
    public static final int SELECTOR_DATA = 0x10;
    public static final int SELECTOR_CODE32 = 0x18;
    public static final int SELECTOR_TSS = 0x20;

    /** Multiboot v1 information structure handed to the guest (EBX, or RDI for the 64-bit entry). */
    public static final long MULTIBOOT_INFO_START = 0x1000;
    /** Multiboot memory map (info flag 6). */
    public static final long MULTIBOOT_MMAP_START = 0x1800;
    public static final long MULTIBOOT_MMAP_MAX_SIZE = 0x700;
    /** Multiboot boot loader name (info flag 9). */
    public static final long BOOT_LOADER_NAME_START = 0x1f00;
    /** The guest command line (multiboot info flag 2). */
    public static final long CMDLINE_START = 0x2000;
    /** Bytes reserved for the command line, the terminating NUL included. */
    public static final int CMDLINE_MAX_SIZE = 0x1000;

    /** Default load address of flat binaries: a BIOS loads a boot sector at 0x7c00 and enters it at 0000:7C00. */
    public static final long FLAT_LOAD_DEFAULT = 0x7c00;

    /** Initial RSP/ESP of guests the loader starts (they set up their own stack, but start with a valid one). */
    public static final long BOOT_STACK_POINTER = 0x8ff0;

    /** Long-mode identity map: PML4, one PDPT, four page directories of 2 MiB pages. */
    public static final long PML4_START = 0x9000;
    public static final long PDPT_START = 0xa000;
    public static final long PD_START = 0xb000;
    public static final int PD_COUNT = 4;
    /** The first byte after the boot page tables. */
    public static final long PAGE_TABLES_END = PD_START + PD_COUNT * PAGE_SIZE;
    /** Bytes the identity map covers. */
    public static final long IDENTITY_MAP_SIZE = 4L << 30;

    /** End of conventional memory below 1 MiB as reported to the guest (the EBDA would start here). */
    public static final long LOW_MEMORY_END = 0x9fc00;
    /** Kernels load at and above 1 MiB. */
    public static final long HIMEM_START = 0x100000;

    /** Start of the MMIO hole; guest RAM is a single slot [0, size) with size at most this. */
    public static final long MMIO_HOLE_START = 0xc000_0000L;
    /** Largest RAM jkvm maps (one slot below the MMIO hole). */
    public static final long RAM_MAX_SIZE = MMIO_HOLE_START;
    /** Smallest RAM: enough for the boot structures and a kernel at {@link #HIMEM_START}. */
    public static final long RAM_MIN_SIZE = 2L << 20;
    /** Default RAM size of {@code jkvm run}. */
    public static final long RAM_DEFAULT_SIZE = 256L << 20;

    /**
     * {@code KVM_SET_TSS_ADDR}: three pages Intel KVM needs for real mode without unrestricted guest, inside the MMIO
     * hole and below 4 GiB (Firecracker's address).
     */
    public static final long KVM_TSS_ADDRESS = 0xfffb_d000L;

    /** Port of the 16550 UART (COM1), as in the boot contract. */
    public static final int SERIAL_PORT_BASE = 0x3f8;
    public static final int SERIAL_PORT_COUNT = 8;
    /** isa-debug-exit port window ({@code iobase=0xf4,iosize=4}). */
    public static final int DEBUG_EXIT_PORT_BASE = 0xf4;
    public static final int DEBUG_EXIT_PORT_COUNT = 4;

    /** The boot-time structures the loaders write, as [start, end) ranges with names, for overlap checks. */
    public static final java.util.List<Region> BOOT_STRUCTURES = java.util.List.of(
            new Region("the boot GDT", BOOT_GDT_START, BOOT_GDT_START + GDT_ENTRIES * 8L),
            new Region("the boot IDT", BOOT_IDT_START, BOOT_IDT_START + BOOT_IDT_SIZE),
            new Region("the multiboot information", MULTIBOOT_INFO_START, CMDLINE_START),
            new Region("the command line", CMDLINE_START, CMDLINE_START + CMDLINE_MAX_SIZE),
            new Region("the boot stack", BOOT_STACK_POINTER - 0x1000, BOOT_STACK_POINTER + 0x10),
            new Region("the boot page tables", PML4_START, PAGE_TABLES_END));

    /** A named guest-physical range [start, end). */
    public record Region(String name, long start, long end) {
        public boolean overlaps(long otherStart, long otherEnd) {
            return otherStart < end && start < otherEnd;
        }

        @Override
        public String toString() {
            return name + " at [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")";
        }
    }
}
