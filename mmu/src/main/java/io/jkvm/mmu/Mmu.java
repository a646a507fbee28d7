package io.jkvm.mmu;

/**
 * One vcpu's memory management unit: its paging registers, its {@link PageWalker}, its {@link Tlb}, and the slow
 * paths generated code calls when a TLB lookup misses.
 *
 * <p><b>Slow path contract.</b> {@link #translate} walks the page tables (setting Accessed/Dirty bits), throws the
 * guest fault if there is one, and returns the guest-physical address. It fills the TLB only where the fast path
 * may then go straight to host memory without missing anything:
 * <ul>
 *   <li>reads and fetches: any RAM;</li>
 *   <li>writes: RAM in a slot that is not READONLY, after marking the page dirty if the slot logs dirty pages (so a
 *       cached write can never skip the log), and never for a page the {@link CodeMap} says holds translated code
 *       (so every store that could modify code reaches the slow path, where {@link CodeMap#overlapsCode} decides);
 *       a write also fills the read entry;</li>
 *   <li>never for supervisor data accesses to user pages under CR4.SMAP, whose outcome depends on EFLAGS.AC,
 *       which changes without a TLB flush.</li>
 * </ul>
 * It never decides what MMIO does: an address outside every slot is returned as is, and the caller, seeing
 * {@code memory().find(gpa) == null} (or a READONLY slot for a write), produces the MMIO exit.
 *
 * <p><b>Flushes</b> follow the architecture (SDM 4.10.4): MOV to CR3 flushes everything (PCID and global pages are
 * not modelled, which only flushes more than needed); changes of CR0.PG/WP, CR4.PSE/PAE/PGE/PCIDE/SMEP/SMAP/PKE and
 * EFER.NXE/LMA flush everything, because the entries embed permissions computed from them; INVLPG drops one page
 * (all of a large page). Changes made by other threads (slots, dirty-log clearing, new code pages) are picked up by
 * {@link #sync()}, which the run loop must call at every block boundary: it costs three volatile reads.
 *
 * <p>Faults are thrown as one reusable {@link PageFault} / {@link NonCanonicalAddressFault} instance per vcpu, so
 * the slow path allocates nothing.
 */
public final class Mmu {
    private static final long CR0_FLUSH_BITS = PageWalker.CR0_PG | PageWalker.CR0_WP;
    private static final long CR0_PDPTE_BITS = PageWalker.CR0_PG | PageWalker.CR0_CD | PageWalker.CR0_NW;
    private static final long CR4_FLUSH_BITS = PageWalker.CR4_PSE | PageWalker.CR4_PAE | PageWalker.CR4_PGE
            | PageWalker.CR4_PCIDE | PageWalker.CR4_SMEP | PageWalker.CR4_SMAP | PageWalker.CR4_PKE;
    /** KVM's {@code pdptr_bits}: CR4 changes that reload the PDPTEs in PAE paging (SDM 4.4.1). */
    private static final long CR4_PDPTE_BITS = PageWalker.CR4_PSE | PageWalker.CR4_PAE | PageWalker.CR4_PGE
            | PageWalker.CR4_SMEP;
    private static final long EFER_FLUSH_BITS = PageWalker.EFER_NXE | PageWalker.EFER_LMA;

    private final GuestMemory memory;
    private final CodeMap codeMap;
    private final PageWalker walker;
    private final Tlb tlb = new Tlb();
    private final WalkResult result = new WalkResult();
    private final PageFault pageFault = new PageFault();
    private final NonCanonicalAddressFault nonCanonical = new NonCanonicalAddressFault();

    private long seenGeneration;
    private long seenDirtyProtect;
    private long seenCodeProtect;
    private long misses;

    public Mmu(GuestMemory memory) {
        this(memory, PageWalker.DEFAULT_MAX_PHYS_ADDR_BITS);
    }

    /** @param maxPhysAddrBits MAXPHYADDR reported to the guest in CPUID 0x80000008 */
    public Mmu(GuestMemory memory, int maxPhysAddrBits) {
        this.memory = memory;
        this.codeMap = memory.codeMap();
        this.walker = new PageWalker(memory, maxPhysAddrBits);
        this.seenGeneration = memory.generation();
        this.seenDirtyProtect = memory.writeProtectGeneration();
        this.seenCodeProtect = codeMap.writeProtectGeneration();
    }

    public GuestMemory memory() {
        return memory;
    }

    public Tlb tlb() {
        return tlb;
    }

    public PageWalker walker() {
        return walker;
    }

    public long cr0() {
        return walker.cr0();
    }

    public long cr3() {
        return walker.cr3();
    }

    public long cr4() {
        return walker.cr4();
    }

    public long efer() {
        return walker.efer();
    }

    public PagingMode pagingMode() {
        return walker.mode();
    }

    /** TLB misses served by {@link #translate} since creation. */
    public long misses() {
        return misses;
    }

    /**
     * MOV to CR0. Updates EFER.LMA as the CPU does (LMA = LME and PG), so that turning paging on with EFER.LME=1
     * enters long mode in one step.
     *
     * @return {@code false} when entering or staying in PAE paging needed a PDPTE load that failed: raise #GP(0);
     *         nothing changed
     */
    public boolean setCr0(long cr0) {
        long efer = walker.efer();
        boolean lma = (efer & PageWalker.EFER_LME) != 0 && (cr0 & PageWalker.CR0_PG) != 0;
        efer = lma ? efer | PageWalker.EFER_LMA : efer & ~PageWalker.EFER_LMA;
        boolean reload = ((walker.cr0() ^ cr0) & CR0_PDPTE_BITS) != 0;
        return update(cr0, walker.cr3(), walker.cr4(), efer, reload);
    }

    /** MOV to CR3: flushes the TLB. @return {@code false} for a failed PAE PDPTE load: raise #GP(0) */
    public boolean setCr3(long cr3) {
        if (!walker.setRegisters(walker.cr0(), cr3, walker.cr4(), walker.efer(), true)) {
            return false;
        }
        tlb.flush();
        return true;
    }

    /** MOV to CR4. @return {@code false} for a failed PAE PDPTE load: raise #GP(0); nothing changed */
    public boolean setCr4(long cr4) {
        boolean reload = ((walker.cr4() ^ cr4) & CR4_PDPTE_BITS) != 0;
        return update(walker.cr0(), walker.cr3(), cr4, walker.efer(), reload);
    }

    /** WRMSR to IA32_EFER (the caller keeps LMA read-only, as the CPU does). Never loads PDPTEs. */
    public void setEfer(long efer) {
        update(walker.cr0(), walker.cr3(), walker.cr4(), efer, false);
    }

    /**
     * All paging registers at once ({@code KVM_SET_SREGS}): values are taken as given (including EFER.LMA), PDPTEs
     * are loaded in PAE paging, and the TLB is flushed.
     *
     * @return {@code false} when the PAE PDPTEs cannot be loaded; nothing changed (KVM fails the ioctl with EINVAL)
     */
    public boolean setPagingRegisters(long cr0, long cr3, long cr4, long efer) {
        if (!walker.setRegisters(cr0, cr3, cr4, efer, true)) {
            return false;
        }
        tlb.flush();
        return true;
    }

    private boolean update(long cr0, long cr3, long cr4, long efer, boolean reloadPdptes) {
        long oldCr0 = walker.cr0();
        long oldCr4 = walker.cr4();
        long oldEfer = walker.efer();
        if (!walker.setRegisters(cr0, cr3, cr4, efer, reloadPdptes)) {
            return false;
        }
        if (((oldCr0 ^ cr0) & CR0_FLUSH_BITS) != 0 || ((oldCr4 ^ cr4) & CR4_FLUSH_BITS) != 0
                || ((oldEfer ^ efer) & EFER_FLUSH_BITS) != 0) {
            tlb.flush();
        }
        return true;
    }

    /** INVLPG {@code vaddr}. */
    public void invlpg(long vaddr) {
        tlb.flushPage(vaddr);
    }

    /**
     * Brings the TLB up to date with changes made by other threads: slot changes flush everything, cleared dirty
     * bits and pages that got translated code drop the write entries. Call it at every block boundary and after
     * translating a block, before running it.
     */
    public void sync() {
        long g = memory.generation();
        long d = memory.writeProtectGeneration();
        long c = codeMap.writeProtectGeneration();
        if (g != seenGeneration) {
            seenGeneration = g;
            seenDirtyProtect = d;
            seenCodeProtect = c;
            tlb.flush();
        } else if (d != seenDirtyProtect || c != seenCodeProtect) {
            seenDirtyProtect = d;
            seenCodeProtect = c;
            tlb.flushWrites();
        }
    }

    /** {@link #translate(long, Access, boolean, boolean)} with EFLAGS.AC clear (SMAP fully enforced). */
    public long translate(long vaddr, Access access, boolean user) {
        return translate(vaddr, access, user, false);
    }

    /**
     * The TLB-miss slow path: translates {@code vaddr} and fills the TLB entry for {@code access} when allowed (see
     * the class comment).
     *
     * @param user         a CPL 3 access (also selects the TLB tag)
     * @param smapOverride EFLAGS.AC=1 on an explicit supervisor access
     * @return the guest-physical address; it may be outside every slot (MMIO) or in a READONLY slot for a write
     * @throws PageFault                 the guest's #PF (this vcpu's reused instance)
     * @throws NonCanonicalAddressFault  a non-canonical address in long mode: #GP(0) or #SS(0)
     */
    public long translate(long vaddr, Access access, boolean user, boolean smapOverride) {
        misses++;
        sync();
        WalkResult r = result;
        if (!walker.walk(vaddr, access, user, smapOverride, r)) {
            if (r.status() == WalkResult.Status.NON_CANONICAL) {
                throw nonCanonical.set(vaddr);
            }
            throw pageFault.set(r.linearAddress(), r.errorCode());
        }
        long gpa = r.physicalAddress();
        MemorySlot slot = memory.find(gpa);
        if (slot == null || r.smapDependent()) {
            return gpa;
        }
        long physPage = gpa & Tlb.PAGE_MASK;
        long host = slot.hostAddressOf(physPage);
        long pageSize = r.pageSize();
        switch (access) {
            case READ -> tlb.fillRead(vaddr, user, host, physPage, pageSize);
            case EXECUTE -> tlb.fillFetch(vaddr, user, host, physPage, pageSize);
            case WRITE -> {
                if (slot.readOnly()) {
                    return gpa;
                }
                slot.markDirty(gpa);
                if (!codeMap.pageHasCode(physPage)) {
                    tlb.fillWrite(vaddr, user, host, physPage, pageSize);
                }
                tlb.fillRead(vaddr, user, host, physPage, pageSize);
            }
        }
        return gpa;
    }

    /**
     * The host address of {@code vaddr} for an access of {@code length} bytes that does not cross a page, going
     * through the TLB and then the slow path; {@link Tlb#MISS} when the target is not RAM that the TLB may map for
     * this access (MMIO, a READONLY slot for writes, a code page for writes, SMAP-dependent): the caller then uses
     * the guest-physical address from {@link #translate}. For Java-side helpers; generated code inlines the lookup.
     */
    public long hostAddress(long vaddr, Access access, boolean user) {
        long host = switch (access) {
            case READ -> tlb.lookupRead(vaddr, user);
            case WRITE -> tlb.lookupWrite(vaddr, user);
            case EXECUTE -> tlb.lookupFetch(vaddr, user);
        };
        if (host != Tlb.MISS) {
            return host;
        }
        translate(vaddr, access, user);
        return switch (access) {
            case READ -> tlb.lookupRead(vaddr, user);
            case WRITE -> tlb.lookupWrite(vaddr, user);
            case EXECUTE -> tlb.lookupFetch(vaddr, user);
        };
    }
}
