package io.jkvm.mmu;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * x86 linear-to-physical translation for every paging mode without 5-level paging (Intel SDM vol. 3A, chapter 4):
 * paging off, 32-bit paging (4 KiB pages, 4 MiB with CR4.PSE, PSE-40 high address bits), PAE paging (PDPTE
 * registers, 4 KiB and 2 MiB pages) and 4-level paging (4 KiB, 2 MiB, 1 GiB pages). One per vcpu; it holds the
 * paging registers so that the mode and the reserved-bit masks are worked out once per register change rather
 * than on every walk.
 *
 * <p><b>What it checks, in the CPU's order:</b> canonical form (4-level; a failure is reported as
 * {@link WalkResult.Status#NON_CANONICAL}, never as #PF), then per level the Present bit and the reserved bits
 * (MAXPHYADDR, XD without EFER.NXE, PS where it is not allowed, the low address bits of large pages), then the
 * access rights combined over all levels: U/S, R/W with CR0.WP, XD with EFER.NXE, SMEP, and SMAP with the
 * EFLAGS.AC override for explicit supervisor accesses. Protection keys (CR4.PKE) are not implemented: CPUID must
 * not advertise PKU.
 *
 * <p><b>Accessed and Dirty bits</b> are set as KVM's walker does: only when the walk succeeds, A in every entry
 * used and D in the leaf for writes, each with a compare-and-set on guest memory so that a concurrent change by
 * another vcpu is never overwritten; when a compare-and-set loses, the walk starts again, like a locked update on
 * the CPU. Entries in a {@code KVM_MEM_READONLY} slot (page tables in ROM) are left unchanged, as a ROM would
 * ignore the write; updated page-table pages are marked dirty in the slot's log, as KVM does.
 *
 * <p><b>Page tables outside RAM.</b> A paging-structure entry whose address is in no slot reads as not present,
 * so the walk ends with a not-present #PF. This is what KVM does when a table is not in a memslot (its walker
 * gives up with a #PF rather than emulating an MMIO read), and it keeps device models out of address translation.
 * PAE PDPTEs outside RAM make {@link #setRegisters} fail, as KVM's {@code load_pdptrs()} does.
 *
 * <p>No allocation: results go into the caller's {@link WalkResult}, scratch state lives in fields.
 */
public final class PageWalker {
    public static final long CR0_PE = 1;
    public static final long CR0_WP = 1L << 16;
    public static final long CR0_NW = 1L << 29;
    public static final long CR0_CD = 1L << 30;
    public static final long CR0_PG = 1L << 31;
    public static final long CR4_PSE = 1L << 4;
    public static final long CR4_PAE = 1L << 5;
    public static final long CR4_PGE = 1L << 7;
    public static final long CR4_LA57 = 1L << 12;
    public static final long CR4_PCIDE = 1L << 17;
    public static final long CR4_SMEP = 1L << 20;
    public static final long CR4_SMAP = 1L << 21;
    public static final long CR4_PKE = 1L << 22;
    public static final long EFER_LME = 1L << 8;
    public static final long EFER_LMA = 1L << 10;
    public static final long EFER_NXE = 1L << 11;

    /** Paging-structure entry bits (SDM tables 4-4 to 4-20). */
    public static final long PTE_P = 1;
    public static final long PTE_RW = 1L << 1;
    public static final long PTE_US = 1L << 2;
    public static final long PTE_A = 1L << 5;
    public static final long PTE_D = 1L << 6;
    public static final long PTE_PS = 1L << 7;
    public static final long PTE_XD = 1L << 63;

    /** The MAXPHYADDR jkvm reports by default (CPUID 0x80000008 EAX[7:0]). */
    public static final int DEFAULT_MAX_PHYS_ADDR_BITS = 48;

    private static final long PAGE_4K = 1L << 12;
    private static final long PAGE_4M = 1L << 22;
    private static final ValueLayout.OfLong PTE64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt PTE32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle PTE64_HANDLE = PTE64.varHandle();
    private static final VarHandle PTE32_HANDLE = PTE32.varHandle();

    private static final int DONE = 0;
    private static final int FAULT = 1;
    private static final int RETRY = 2;

    private final GuestMemory memory;
    private final int maxPhysAddrBits;
    /** Bits MAXPHYADDR-1 .. 12: the address field of an 8-byte entry or of CR3 in 4-level paging. */
    private final long physAddrMask;

    private long cr0;
    private long cr3;
    private long cr4;
    private long efer;
    private PagingMode mode = PagingMode.NONE;
    private final long[] pdptes = new long[4];
    private final long[] pdpteScratch = new long[4];
    private boolean wp;
    private boolean nx;
    private boolean smep;
    private boolean smap;
    private boolean pse;
    private boolean fetchBitReported;
    /** Reserved bits of a non-leaf ({@code rsvdTable}) or leaf ({@code rsvdLeaf}) entry, indexed by level 1..4. */
    private final long[] rsvdTable = new long[5];
    private final long[] rsvdLeaf = new long[5];
    private long rsvdPde4M;
    /** PAE PDPTE reserved bits: 63:MAXPHYADDR, 8:5, 2:1 (SDM table 4-8; XD is reserved there too). */
    private final long rsvdPdpte;

    // Scratch for the Accessed/Dirty update of the current walk.
    private final long[] entryAddr = new long[4];
    private final long[] entryValue = new long[4];
    private final MemorySlot[] entrySlot = new MemorySlot[4];
    private int entries;

    public PageWalker(GuestMemory memory) {
        this(memory, DEFAULT_MAX_PHYS_ADDR_BITS);
    }

    /**
     * @param maxPhysAddrBits MAXPHYADDR as reported to the guest (CPUID 0x80000008), 36..52: address bits above
     *                        it in paging-structure entries are reserved
     */
    public PageWalker(GuestMemory memory, int maxPhysAddrBits) {
        if (maxPhysAddrBits < 36 || maxPhysAddrBits > 52) {
            throw new IllegalArgumentException("MAXPHYADDR must be 36..52 bits, got " + maxPhysAddrBits);
        }
        this.memory = memory;
        this.maxPhysAddrBits = maxPhysAddrBits;
        this.physAddrMask = bits(12, maxPhysAddrBits - 1);
        this.rsvdPdpte = bits(maxPhysAddrBits, 63) | bits(5, 8) | bits(1, 2);
        configure(0, 0, 0, 0);
    }

    public int maxPhysAddrBits() {
        return maxPhysAddrBits;
    }

    public long cr0() {
        return cr0;
    }

    public long cr3() {
        return cr3;
    }

    public long cr4() {
        return cr4;
    }

    public long efer() {
        return efer;
    }

    public PagingMode mode() {
        return mode;
    }

    /** PDPTE register {@code i} (0..3); meaningful in PAE paging only. */
    public long pdpte(int i) {
        return pdptes[i];
    }

    /**
     * Installs new paging registers. In PAE paging with {@code loadPdptes}, the four PDPTEs are read from the
     * 32-byte aligned table at CR3 first, as the CPU does on MOV to CR3 and on the CR0/CR4 changes listed in SDM
     * 4.4.1; if one is present with reserved bits set, or the table is not in RAM, nothing changes and the result
     * is {@code false}: the instruction must raise #GP(0).
     *
     * @throws UnsupportedOperationException for CR4.LA57: jkvm has no 5-level paging, so CPUID must not advertise
     *                                       it and MOV to CR4 must #GP on that bit before it gets here
     */
    public boolean setRegisters(long cr0, long cr3, long cr4, long efer, boolean loadPdptes) {
        if ((cr4 & CR4_LA57) != 0) {
            throw new UnsupportedOperationException("CR4.LA57 (5-level paging) is not supported: do not advertise"
                    + " LA57 in CPUID, and make MOV to CR4 raise #GP(0) when it sets that bit");
        }
        if (loadPdptes && PagingMode.of(cr0, cr4, efer) == PagingMode.PAE) {
            // Read into scratch first: a failed load must leave the PDPTE registers unchanged.
            if (!readPdptes(cr3, pdpteScratch)) {
                return false;
            }
            System.arraycopy(pdpteScratch, 0, pdptes, 0, 4);
        }
        configure(cr0, cr3, cr4, efer);
        return true;
    }

    private boolean readPdptes(long cr3, long[] into) {
        long base = cr3 & 0xFFFF_FFE0L;
        MemorySlot s = memory.find(base);
        if (s == null) {
            return false;
        }
        for (int i = 0; i < 4; i++) {
            long e = s.segment().get(PTE64, base + 8L * i - s.guestPhysAddr());
            if ((e & PTE_P) != 0 && (e & rsvdPdpte) != 0) {
                return false;
            }
            into[i] = e;
        }
        return true;
    }

    private void configure(long cr0, long cr3, long cr4, long efer) {
        this.cr0 = cr0;
        this.cr3 = cr3;
        this.cr4 = cr4;
        this.efer = efer;
        this.mode = PagingMode.of(cr0, cr4, efer);
        this.wp = (cr0 & CR0_WP) != 0;
        this.smep = (cr4 & CR4_SMEP) != 0;
        this.smap = (cr4 & CR4_SMAP) != 0;
        this.pse = (cr4 & CR4_PSE) != 0;
        // 32-bit paging has no XD bit: EFER.NXE only matters with 8-byte entries.
        this.nx = (efer & EFER_NXE) != 0 && (mode == PagingMode.PAE || mode == PagingMode.LONG4);
        // SDM 4.7: I/D is reported only with SMEP, or with PAE/4-level paging and NXE.
        this.fetchBitReported = smep || nx;

        long xdRsvd = nx ? 0 : PTE_XD;
        Arrays.fill(rsvdTable, 0);
        Arrays.fill(rsvdLeaf, 0);
        if (mode == PagingMode.LONG4) {
            // 4-level: bits 51:M reserved, 62:52 ignored (protection keys are not implemented).
            long high = bits(maxPhysAddrBits, 51) | xdRsvd;
            rsvdTable[4] = high | PTE_PS;
            rsvdTable[3] = high;
            rsvdLeaf[3] = high | bits(13, 29);
            rsvdTable[2] = high;
            rsvdLeaf[2] = high | bits(13, 20);
            rsvdLeaf[1] = high;
        } else if (mode == PagingMode.PAE) {
            // PAE: bits 62:M of PDEs and PTEs are reserved.
            long high = bits(maxPhysAddrBits, 62) | xdRsvd;
            rsvdTable[2] = high;
            rsvdLeaf[2] = high | bits(13, 20);
            rsvdLeaf[1] = high;
        }
        // 32-bit paging, 4 MiB page: bits 20:13 hold physical address bits 39:32 up to min(MAXPHYADDR, 40); the
        // rest of 21:13 is reserved (SDM table 4-4).
        this.rsvdPde4M = bits(Math.min(maxPhysAddrBits, 40) - 19, 21);
    }

    /**
     * Translates {@code linear} for an access of kind {@code access}.
     *
     * @param user          a user-mode access (CPL 3, not an implicit supervisor access such as a GDT read)
     * @param smapOverride  EFLAGS.AC=1 on an explicit supervisor access: lets CR4.SMAP allow user pages. Pass
     *                      {@code false} for implicit supervisor accesses, which SMAP always checks
     * @return {@code true} when translated; otherwise {@code out} describes the #PF or non-canonical address
     */
    public boolean walk(long linear, Access access, boolean user, boolean smapOverride, WalkResult out) {
        while (true) {
            int r;
            switch (mode) {
                case NONE -> {
                    long la = linear & 0xFFFF_FFFFL;
                    out.ok(la, la, PAGE_4K, true, true, true, false, false);
                    return true;
                }
                case BITS32 -> r = walk32(linear & 0xFFFF_FFFFL, access, user, smapOverride, out);
                case PAE -> r = walk64(linear & 0xFFFF_FFFFL, access, user, smapOverride, out);
                case LONG4 -> {
                    if ((linear << 16) >> 16 != linear) {
                        out.nonCanonical(linear);
                        return false;
                    }
                    r = walk64(linear, access, user, smapOverride, out);
                }
                default -> throw new IllegalStateException(mode.toString());
            }
            if (r != RETRY) {
                return r == DONE;
            }
        }
    }

    private int walk64(long la, Access access, boolean user, boolean smapOverride, WalkResult out) {
        boolean rw = true;
        boolean us = true;
        boolean xd = false;
        long table;
        int level;
        entries = 0;
        if (mode == PagingMode.LONG4) {
            table = cr3 & physAddrMask;
            level = 4;
        } else {
            // PAE PDPTEs are registers: no R/W, U/S or XD bits, no Accessed update.
            long pdpte = pdptes[(int) (la >>> 30) & 3];
            if ((pdpte & PTE_P) == 0) {
                return fault(la, 0, access, user, out);
            }
            table = pdpte & physAddrMask;
            level = 2;
        }
        long pageSize;
        long entry;
        while (true) {
            int shift = 12 + 9 * (level - 1);
            long addr = table + (((la >>> shift) & 511) << 3);
            MemorySlot s = memory.find(addr);
            if (s == null) {
                return fault(la, 0, access, user, out); // table outside RAM: not present (see class comment)
            }
            entry = s.segment().get(PTE64, addr - s.guestPhysAddr());
            if ((entry & PTE_P) == 0) {
                return fault(la, 0, access, user, out);
            }
            boolean leaf = level == 1 || (level <= 3 && (entry & PTE_PS) != 0);
            if ((entry & (leaf ? rsvdLeaf[level] : rsvdTable[level])) != 0) {
                return fault(la, PageFault.RSVD | PageFault.PRESENT, access, user, out);
            }
            entryAddr[entries] = addr;
            entryValue[entries] = entry;
            entrySlot[entries] = s;
            entries++;
            rw &= (entry & PTE_RW) != 0;
            us &= (entry & PTE_US) != 0;
            xd |= nx && entry < 0;
            if (leaf) {
                pageSize = 1L << shift;
                break;
            }
            table = entry & physAddrMask;
            level--;
        }
        long phys = (entry & physAddrMask & -pageSize) | (la & (pageSize - 1));
        return finish(la, phys, pageSize, rw, us, xd, access, user, smapOverride, out, true);
    }

    private int walk32(long la, Access access, boolean user, boolean smapOverride, WalkResult out) {
        entries = 0;
        long pdeAddr = (cr3 & 0xFFFF_F000L) + ((la >>> 22) << 2);
        MemorySlot s = memory.find(pdeAddr);
        if (s == null) {
            return fault(la, 0, access, user, out);
        }
        long pde = Integer.toUnsignedLong(s.segment().get(PTE32, pdeAddr - s.guestPhysAddr()));
        if ((pde & PTE_P) == 0) {
            return fault(la, 0, access, user, out);
        }
        entryAddr[0] = pdeAddr;
        entryValue[0] = pde;
        entrySlot[0] = s;
        entries = 1;
        long phys;
        long pageSize;
        long leaf;
        if (pse && (pde & PTE_PS) != 0) {
            if ((pde & rsvdPde4M) != 0) {
                return fault(la, PageFault.RSVD | PageFault.PRESENT, access, user, out);
            }
            pageSize = PAGE_4M;
            phys = (pde & 0xFFC0_0000L) | ((pde >>> 13) & 0xFF) << 32 | (la & (PAGE_4M - 1));
            leaf = pde;
        } else {
            long pteAddr = (pde & 0xFFFF_F000L) + (((la >>> 12) & 0x3FF) << 2);
            MemorySlot t = memory.find(pteAddr);
            if (t == null) {
                return fault(la, 0, access, user, out);
            }
            long pte = Integer.toUnsignedLong(t.segment().get(PTE32, pteAddr - t.guestPhysAddr()));
            if ((pte & PTE_P) == 0) {
                return fault(la, 0, access, user, out);
            }
            entryAddr[1] = pteAddr;
            entryValue[1] = pte;
            entrySlot[1] = t;
            entries = 2;
            pageSize = PAGE_4K;
            phys = (pte & 0xFFFF_F000L) | (la & 0xFFF);
            leaf = pte;
        }
        boolean rw = (pde & leaf & PTE_RW) != 0;
        boolean us = (pde & leaf & PTE_US) != 0;
        return finish(la, phys, pageSize, rw, us, false, access, user, smapOverride, out, false);
    }

    /** Checks the combined access rights (SDM 4.6), then sets the Accessed/Dirty bits. */
    private int finish(long la, long phys, long pageSize, boolean rw, boolean us, boolean xd, Access access,
                       boolean user, boolean smapOverride, WalkResult out, boolean wide) {
        boolean smapBlocks = !user && smap && us && !smapOverride;
        boolean readable = user ? us : !smapBlocks;
        boolean writable = user ? us && rw : (rw || !wp) && !smapBlocks;
        boolean executable = !xd && (user ? us : !(smep && us));
        boolean allowed = switch (access) {
            case READ -> readable;
            case WRITE -> writable;
            case EXECUTE -> executable;
        };
        if (!allowed) {
            return fault(la, PageFault.PRESENT, access, user, out);
        }
        for (int i = 0; i < entries; i++) {
            long old = entryValue[i];
            long want = old | PTE_A;
            if (i == entries - 1 && access == Access.WRITE) {
                want |= PTE_D;
            }
            if (want == old) {
                continue;
            }
            MemorySlot s = entrySlot[i];
            if (s.readOnly()) {
                continue; // page tables in ROM: the update is dropped, as the ROM would drop it
            }
            long offset = entryAddr[i] - s.guestPhysAddr();
            boolean swapped = wide
                    ? PTE64_HANDLE.compareAndSet(s.segment(), offset, old, want)
                    : PTE32_HANDLE.compareAndSet(s.segment(), offset, (int) old, (int) want);
            if (!swapped) {
                return RETRY; // another vcpu changed the entry since we read it: walk again
            }
            s.markDirty(entryAddr[i]);
        }
        out.ok(la, phys, pageSize, readable, writable, executable, us, !user && smap && us);
        return DONE;
    }

    private int fault(long la, int bits, Access access, boolean user, WalkResult out) {
        int code = bits;
        if (access == Access.WRITE) {
            code |= PageFault.WRITE;
        }
        if (user) {
            code |= PageFault.USER;
        }
        if (access == Access.EXECUTE && fetchBitReported) {
            code |= PageFault.FETCH;
        }
        out.pageFault(la, code);
        return FAULT;
    }

    /** Bits {@code lo..hi} inclusive; 0 when {@code lo > hi}. */
    static long bits(int lo, int hi) {
        if (lo > hi) {
            return 0;
        }
        long upper = hi == 63 ? -1L : (1L << (hi + 1)) - 1;
        return upper & -(1L << lo);
    }
}
