package io.jkvm.translator.jit;

import io.jkvm.mmu.GuestMemory;
import io.jkvm.mmu.Mmu;
import io.jkvm.translator.cpu.CpuState;

/**
 * A vcpu's view of guest memory as generated code sees it: the TLB arrays it probes inline (see {@link Mem}) and the
 * slow paths it calls on a miss. The slow paths walk the page tables, fill the TLB, and handle everything that is
 * not plain RAM: MMIO (a load exits to userspace and the instruction restarts; a store completes and exits after
 * the instruction), read-only slots, dirty logging and stores into translated code.
 *
 * <p>Helpers ({@link HelperOp}) use {@link #read}/{@link #write} with linear addresses; both raise guest exceptions
 * ({@code #PF}, {@code #GP} for non-canonical addresses) exactly as generated code does.
 */
public abstract class MemoryPort {
    /** Interleaved {tag, addend} pairs, see {@link Mem}. Identity never changes. */
    public final long[] tlbRead;
    public final long[] tlbWrite;

    protected MemoryPort(long[] tlbRead, long[] tlbWrite) {
        this.tlbRead = tlbRead;
        this.tlbWrite = tlbWrite;
    }

    /** 1 when the vcpu runs at CPL 3 (TLB tags carry the privilege of the access), else 0. */
    public abstract long userBit();

    /** Loads {@code size} bytes at virtual address {@code va}, zero-extended; throws a guest trap on faults. */
    public abstract long loadSlow(long va, int size);

    /**
     * The load of a read-modify-write: checked as a write first (a fault reports W=1, as the CPU does), then read.
     */
    public abstract long loadSlowForWrite(long va, int size);

    /** Stores the low {@code size} bytes of {@code value} at {@code va}; throws a guest trap on faults. */
    public abstract void storeSlow(long va, int size, long value);

    /**
     * The slow paths of accesses through SS (RSP/RBP-based operands, PUSH/POP): a non-canonical address is #SS(0)
     * there, #GP(0) everywhere else. TLB entries are always canonical, so the check is only needed here.
     */
    public final long loadSlowStack(long va, int size) {
        checkStackCanonical(va, size);
        return loadSlow(va, size);
    }

    public final long loadSlowForWriteStack(long va, int size) {
        checkStackCanonical(va, size);
        return loadSlowForWrite(va, size);
    }

    public final void storeSlowStack(long va, int size, long value) {
        checkStackCanonical(va, size);
        storeSlow(va, size, value);
    }

    /**
     * A 16-byte store (MOVUPS, MOVDQU ...) that crosses a page: the CPU writes nothing when any part faults, so both
     * pages are checked for writing before either half is written. {@code stack}: addressed through SS.
     */
    public final void store128Slow(long va, long low, long high, boolean stack) {
        if (stack) {
            checkStackCanonical(va, 16);
        }
        checkWritable(va, 16);
        storeSlow(va, 8, low);
        storeSlow(va + 8, 8, high);
    }

    /** Raises the fault a store of {@code size} bytes at {@code va} would raise, without storing anything. */
    public abstract void checkWritable(long va, int size);

    private static void checkStackCanonical(long va, int size) {
        long first = va >> 47;
        long last = (va + size - 1) >> 47;
        if ((first != 0 && first != -1) || (last != 0 && last != -1)) {
            throw io.jkvm.translator.cpu.GuestException.stackNonCanonical(va);
        }
    }

    /** The page-table walker and TLB of this vcpu. */
    public abstract Mmu mmu();

    /** The VM's guest physical memory. */
    public abstract GuestMemory memory();

    /**
     * Must be called after CR0, CR3, CR4 or EFER of {@code cpu} changed (or after a mode change such as a CPL
     * change): pushes the paging registers to the MMU, flushes what the architecture says to flush, and drops
     * cached region lookups that depended on the old translation.
     */
    public abstract void controlRegistersChanged(CpuState cpu);

    /** INVLPG: drops the translation of one page. */
    public abstract void invalidatePage(long va);

    /** Whether data accesses must be aligned now (CR0.AM, EFLAGS.AC, CPL 3): #AC otherwise. */
    public abstract boolean alignmentChecks();

    private void checkAlignment(long va, int size) {
        if (size > 1 && (va & (size - 1)) != 0 && alignmentChecks()) {
            throw Trap.alignmentCheck(va, false); // Helpers.execute turns it into #SS for SS operands
        }
    }

    /** Reads {@code size} (1, 2, 4, 8) bytes at linear address {@code va} with the current privilege. */
    public final long read(long va, int size) {
        checkAlignment(va, size);
        long u = userBit();
        return switch (size) {
            case 1 -> Mem.ld8(tlbRead, u, this, va);
            case 2 -> Mem.ld16(tlbRead, u, this, va);
            case 4 -> Mem.ld32(tlbRead, u, this, va);
            case 8 -> Mem.ld64(tlbRead, u, this, va);
            default -> throw new IllegalArgumentException("size " + size);
        };
    }

    /**
     * Reads the destination of a read-modify-write: checked as a write first, so a fault reports W=1 and a
     * read-only page faults before anything is read, as the CPU does.
     */
    public final long readForUpdate(long va, int size) {
        checkAlignment(va, size);
        return loadSlowForWrite(va, size);
    }

    /** Writes {@code size} (1, 2, 4, 8) bytes at linear address {@code va} with the current privilege. */
    public final void write(long va, int size, long value) {
        checkAlignment(va, size);
        long u = userBit();
        switch (size) {
            case 1 -> Mem.st8(tlbWrite, u, this, va, value);
            case 2 -> Mem.st16(tlbWrite, u, this, va, value);
            case 4 -> Mem.st32(tlbWrite, u, this, va, value);
            case 8 -> Mem.st64(tlbWrite, u, this, va, value);
            default -> throw new IllegalArgumentException("size " + size);
        }
    }

    /**
     * Reads with supervisor privilege regardless of CPL: the CPU's own implicit accesses (descriptor tables, the
     * TSS, the IDT, interrupt stacks when switching to ring 0).
     */
    public abstract long readSupervisor(long va, int size);

    public abstract void writeSupervisor(long va, int size, long value);
}
