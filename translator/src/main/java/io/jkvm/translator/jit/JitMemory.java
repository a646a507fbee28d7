package io.jkvm.translator.jit;

import io.jkvm.mmu.Access;
import io.jkvm.mmu.CodeMap;
import io.jkvm.mmu.GuestMemory;
import io.jkvm.mmu.MemorySlot;
import io.jkvm.mmu.Mmu;
import io.jkvm.mmu.NonCanonicalAddressFault;
import io.jkvm.mmu.PageFault;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;

/**
 * The slow paths behind {@link Mem}: page walks, MMIO, read-only slots, and stores into translated code.
 *
 * <p>MMIO loads follow KVM's restart model: the first attempt records the access in {@code cpu.exit} and aborts the
 * instruction ({@link Trap.ExitSignal}); userspace supplies the data; the instruction runs again from the start and
 * this time the load at the same address and size consumes the supplied data. MMIO stores (and stores to
 * {@code KVM_MEM_READONLY} slots) complete from the guest's point of view and exit after the instruction.
 */
public final class JitMemory extends MemoryPort {
    /** {@code cpu.pendingExit} values. */
    public static final int PENDING_MMIO_WRITE = 1, PENDING_CODE_WRITE = 2;

    private final CpuState cpu;
    private final Mmu mmu;
    private final GuestMemory memory;
    private final CodeMap codeMap;
    private long userBit;

    // MMIO read completion.
    private boolean mmioReady;
    private long mmioGpa;
    private int mmioLength;
    private long mmioData;

    public JitMemory(CpuState cpu, Mmu mmu) {
        super(mmu.tlb().read, mmu.tlb().write);
        this.cpu = cpu;
        this.mmu = mmu;
        this.memory = mmu.memory();
        this.codeMap = memory.codeMap();
    }

    @Override
    public long userBit() {
        return userBit;
    }

    /** Re-derives the privilege of data accesses after a CPL change. */
    void refreshPrivilege() {
        userBit = cpu.cpl() == 3 ? 1 : 0;
    }

    @Override
    public boolean alignmentChecks() {
        return userBit != 0 && (cpu.cr0 & CpuState.CR0_AM) != 0 && (cpu.rflags & Flags.AC) != 0;
    }

    @Override
    public Mmu mmu() {
        return mmu;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public void controlRegistersChanged(CpuState c) {
        if (!mmu.setPagingRegisters(c.cr0, c.cr3, c.cr4, c.efer)) {
            throw GuestException.gp(0, "invalid PDPTEs for PAE paging");
        }
        refreshPrivilege();
        listener.run();
    }

    /** Told of every change that can invalidate virtual→physical assumptions (the vcpu flushes its jump cache). */
    Runnable listener = () -> {
    };

    @Override
    public void invalidatePage(long va) {
        mmu.invlpg(va);
        listener.run();
    }

    /** Supplies the data of a pending MMIO read exit; the restarted instruction consumes it. */
    public void completeMmioRead(long gpa, int length, long data) {
        mmioReady = true;
        mmioGpa = gpa;
        mmioLength = length;
        mmioData = data & Flags.mask(length);
    }

    private long translate(long va, Access access, boolean user) {
        try {
            return mmu.translate(va, access, user, user ? false : (cpu.rflags & Flags.AC) != 0);
        } catch (PageFault pf) {
            throw GuestException.pf(pf.linearAddress(), pf.errorCode());
        } catch (NonCanonicalAddressFault nc) {
            throw GuestException.nonCanonical(nc.linearAddress());
        }
    }

    private static boolean crossesPage(long va, int size) {
        return ((va & 0xfff) + size) > 0x1000;
    }

    @Override
    public long loadSlow(long va, int size) {
        return load(va, size, userBit != 0);
    }

    @Override
    public void checkWritable(long va, int size) {
        boolean user = userBit != 0;
        translate(va, Access.WRITE, user);
        if (crossesPage(va, size)) {
            translate(va + (0x1000 - (va & 0xfff)), Access.WRITE, user);
        }
    }

    @Override
    public long loadSlowForWrite(long va, int size) {
        boolean user = userBit != 0;
        translate(va, Access.WRITE, user);
        if (crossesPage(va, size)) {
            translate(va + (0x1000 - (va & 0xfff)), Access.WRITE, user);
        }
        return load(va, size, user);
    }

    private long load(long va, int size, boolean user) {
        if (crossesPage(va, size)) {
            // Translate both pages first so that a fault on either leaves nothing half done.
            long first = 0x1000 - (va & 0xfff);
            translate(va, Access.READ, user);
            translate(va + first, Access.READ, user);
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= load(va + i, 1, user) << (8 * i);
            }
            return v;
        }
        long gpa = translate(va, Access.READ, user);
        MemorySlot slot = memory.find(gpa);
        if (slot != null) {
            return Mem.hostLoad(slot.hostAddressOf(gpa), size);
        }
        if (mmioReady && mmioGpa == gpa && mmioLength == size) {
            mmioReady = false;
            return mmioData;
        }
        ExitRequest e = cpu.exit;
        e.kind = ExitRequest.Kind.MMIO;
        e.gpa = gpa;
        e.mmioLength = size;
        e.mmioWrite = false;
        throw Trap.ExitSignal.INSTANCE;
    }

    @Override
    public void storeSlow(long va, int size, long value) {
        store(va, size, value, userBit != 0);
    }

    private void store(long va, int size, long value, boolean user) {
        if (crossesPage(va, size)) {
            long first = 0x1000 - (va & 0xfff);
            translate(va, Access.WRITE, user);
            translate(va + first, Access.WRITE, user);
            for (int i = 0; i < size; i++) {
                store(va + i, 1, value >>> (8 * i), user);
            }
            return;
        }
        long gpa = translate(va, Access.WRITE, user);
        MemorySlot slot = memory.find(gpa);
        if (slot == null || slot.readOnly()) {
            ExitRequest e = cpu.exit;
            e.kind = ExitRequest.Kind.MMIO;
            e.gpa = gpa;
            e.mmioLength = size;
            e.mmioWrite = true;
            for (int i = 0; i < size; i++) {
                e.data[i] = (byte) (value >>> (8 * i));
            }
            cpu.pendingExit = PENDING_MMIO_WRITE;
            return;
        }
        long host = slot.hostAddressOf(gpa);
        if (codeMap.overlapsCode(gpa, size)) {
            // Stores of the bytes already there (common when data shares a page with code) change nothing.
            if (Mem.hostLoad(host, size) == (value & Flags.mask(size))) {
                return;
            }
            Mem.hostStore(host, size, value);
            codeMap.codeWritten(gpa, size);
            cpu.pendingExit = Math.max(cpu.pendingExit, PENDING_CODE_WRITE);
            return;
        }
        Mem.hostStore(host, size, value);
    }

    @Override
    public long readSupervisor(long va, int size) {
        return load(va, size, false);
    }

    @Override
    public void writeSupervisor(long va, int size, long value) {
        store(va, size, value, false);
    }

    /**
     * Reads instruction bytes at linear address {@code linear} for the translator, recording the pages used.
     * Returns how many bytes were read (stops before a page that cannot be fetched, except for the first byte,
     * whose fault is thrown).
     */
    int fetch(long linear, byte[] buf, int length, boolean user, PageRecorder pages) {
        int n = 0;
        while (n < length) {
            long va = linear + n;
            long gpa;
            try {
                gpa = translate(va, Access.EXECUTE, user);
            } catch (GuestException e) {
                if (n == 0) {
                    throw e;
                }
                return n;
            }
            MemorySlot slot = memory.find(gpa);
            if (slot == null) {
                if (n == 0) {
                    // Executing from MMIO: KVM reports an internal error (emulation failure).
                    throw new ExecuteFromMmio(gpa);
                }
                return n;
            }
            pages.record(va & ~0xfffL, gpa & ~0xfffL);
            int inPage = (int) Math.min(length - n, 0x1000 - (va & 0xfff));
            long host = slot.hostAddressOf(gpa);
            for (int i = 0; i < inPage; i++) {
                buf[n + i] = (byte) Mem.hostLoad(host + i, 1);
            }
            n += inPage;
        }
        return n;
    }

    /** Collects the (virtual page, physical page) pairs a translation read. */
    interface PageRecorder {
        void record(long virtualPage, long physicalPage);
    }

    /** Instruction fetch from an address that is not RAM. */
    static final class ExecuteFromMmio extends RuntimeException {
        final long gpa;

        ExecuteFromMmio(long gpa) {
            super("instruction fetch from non-RAM guest physical address 0x" + Long.toHexString(gpa), null, false,
                    false);
            this.gpa = gpa;
        }
    }
}
