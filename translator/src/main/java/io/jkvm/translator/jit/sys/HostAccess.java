package io.jkvm.translator.jit.sys;

import io.jkvm.mmu.Access;
import io.jkvm.mmu.NonCanonicalAddressFault;
import io.jkvm.mmu.PageFault;
import io.jkvm.mmu.Tlb;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.MemoryPort;

/**
 * Direct host access to a page of guest RAM for bulk work (string instructions, string I/O): only where the soft
 * TLB may map the page for that access (RAM, writable and dirty-logged for writes, no translated code, no SMAP
 * dependence). Everything else, faults included, answers {@link Tlb#MISS} and the caller falls back to
 * {@link MemoryPort#read}/{@link MemoryPort#write}, which raise the precise guest fault or take the MMIO path.
 */
final class HostAccess {
    static final long MISS = Tlb.MISS;

    private HostAccess() {
    }

    /** The host address of linear {@code va} for {@code access} with the current privilege, or {@link #MISS}. */
    static long lookup(MemoryPort mem, long va, Access access) {
        try {
            return mem.mmu().hostAddress(va, access, mem.userBit() != 0);
        } catch (PageFault | NonCanonicalAddressFault e) {
            return MISS;
        }
    }

    /**
     * Raises the guest fault a write of {@code size} bytes at {@code va} would raise, without writing: for INS,
     * whose destination must be writable before the port is read (the data cannot be put back). Walking the
     * tables sets Accessed/Dirty bits as the write will.
     */
    static void checkWritable(CpuState cpu, MemoryPort mem, long va, int size) {
        boolean user = mem.userBit() != 0;
        boolean ac = !user && (cpu.rflags & Flags.AC) != 0;
        try {
            mem.mmu().translate(va, Access.WRITE, user, ac);
            if (((va & 0xfff) + size) > 0x1000) {
                mem.mmu().translate(va + size - 1, Access.WRITE, user, ac);
            }
        } catch (PageFault pf) {
            throw GuestException.pf(pf.linearAddress(), pf.errorCode());
        } catch (NonCanonicalAddressFault nc) {
            throw GuestException.nonCanonical(va);
        }
    }
}
