package io.jkvm.mmu;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A VM's guest-physical address space: the memory slots set with {@code KVM_SET_USER_MEMORY_REGION}, their dirty
 * logs, and the {@link CodeMap} of translated code. One per VM, shared by all vcpus.
 *
 * <p><b>Slots follow KVM's rules exactly</b> (checked against {@code kvm_set_memory_region()} and
 * {@code check_memory_region_flags()} in {@code virt/kvm/kvm_main.c}, and x86's
 * {@code kvm_arch_prepare_memory_region()}), in the kernel's order, so that a VMM sees the same errno on either
 * backend. The one deliberate difference is memory that is not really there: KVM only checks that
 * {@code userspace_addr} is a user address ({@code access_ok}) and fails later, at {@code KVM_RUN}, with EFAULT
 * when the guest touches an unbacked page; jkvm must never touch memory outside the caller's segment, so it refuses
 * a heap segment, a closed or read-only one, or one smaller than {@code memory_size} at once, with the errno KVM
 * would give later (EFAULT).
 *
 * <p><b>Lookups are lock-free.</b> A change builds a new immutable layout (slots sorted by address) and publishes it
 * through a volatile field, as KVM swaps in new memslots under SRCU; {@link #find} reads it without locking, tries
 * the slot it hit last (guests touch one big RAM slot almost always), then binary-searches. Changes are serialized
 * on this object. {@link #generation()} moves on every change; vcpus compare it at block boundaries
 * ({@link Mmu#sync()}) and flush their TLBs, which is when a deleted slot's memory stops being used.
 *
 * <p><b>Dirty logging</b> keeps KVM's semantics for {@code KVM_GET_DIRTY_LOG}, {@code KVM_CLEAR_DIRTY_LOG} and
 * {@code KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2}. Clearing a bit must write-protect the page again: the soft TLB gives
 * stores a direct path to RAM only for pages already marked dirty, so {@link #writeProtectGeneration()} moves
 * whenever bits are cleared and vcpus drop their TLB write entries when they see it. As with KVM's remote TLB
 * flush, the runtime must make every vcpu reach {@code sync()} before it returns the log to userspace (a
 * {@link Listener} is called synchronously for that) or a write through a stale entry could go unlogged.
 */
public final class GuestMemory {
    /** {@code KVM_MEM_LOG_DIRTY_PAGES}: keep a dirty-page log for the slot. */
    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1;
    /** {@code KVM_MEM_READONLY}: guest writes to the slot exit to userspace as MMIO. */
    public static final int KVM_MEM_READONLY = 1 << 1;
    /** {@code KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE}: {@code KVM_GET_DIRTY_LOG} no longer clears the log. */
    public static final long KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1;
    /** {@code KVM_DIRTY_LOG_INITIALLY_SET}: a new dirty log starts with every page dirty. */
    public static final long KVM_DIRTY_LOG_INITIALLY_SET = 1 << 1;

    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    /** KVM's {@code KVM_MEM_MAX_NR_PAGES}: dirty bitmaps are indexed with an {@code unsigned int}. */
    public static final long KVM_MEM_MAX_NR_PAGES = (1L << 31) - 1;
    /** Physical addresses are at most 52 bits on x86-64 (x86's {@code kvm_mmu_max_gfn()} bound for slots). */
    public static final int MAX_PHYS_ADDR_BITS = 52;

    private static final int VALID_FLAGS = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
    private static final String SET_REGION = "KVM_SET_USER_MEMORY_REGION";
    private static final String GET_LOG = "KVM_GET_DIRTY_LOG";
    private static final String CLEAR_LOG = "KVM_CLEAR_DIRTY_LOG";
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Told about changes the vcpus must act on; called synchronously on the changing thread, for slot changes while
     * holding this object's lock (so a listener must not wait for a thread that is changing slots). Lookups take no
     * lock, so a listener may wait for vcpus to reach {@link Mmu#sync()}.
     */
    public interface Listener {
        /** Slots were created, deleted, moved or changed flags: every vcpu must flush its TLB. */
        default void slotsChanged(long generation) {
        }

        /**
         * Dirty bits of {@code slot} were cleared: every vcpu must drop its TLB write entries (reach
         * {@link Mmu#sync()}) before the caller's {@code KVM_GET_DIRTY_LOG}/{@code KVM_CLEAR_DIRTY_LOG} returns.
         */
        default void dirtyPagesWriteProtected(MemorySlot slot, long writeProtectGeneration) {
        }
    }

    /** An immutable view of the slots, sorted by guest-physical address, with a racy last-hit hint. */
    private static final class Layout {
        final MemorySlot[] sorted;
        final long[] starts;
        /** Benign race: any slot of this layout is a correct hint; it never outlives the layout. */
        MemorySlot lastHit;

        Layout(MemorySlot[] sorted) {
            this.sorted = sorted;
            this.starts = new long[sorted.length];
            for (int i = 0; i < sorted.length; i++) {
                starts[i] = sorted[i].guestPhysAddr();
            }
        }
    }

    private final int maxSlots;
    private final MemorySlot[] byId;
    private volatile Layout layout = new Layout(new MemorySlot[0]);
    private volatile long generation;
    private final AtomicLong writeProtectGeneration = new AtomicLong();
    private volatile long manualDirtyLogProtect;
    private final CodeMap codeMap = new CodeMap();
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param maxSlots the number of user memory slots ({@code KVM_CAP_NR_MEMSLOTS}); slot ids are
     *                 {@code 0 .. maxSlots-1}
     */
    public GuestMemory(int maxSlots) {
        if (maxSlots <= 0 || maxSlots > 0x10000) {
            throw new IllegalArgumentException("maxSlots must be 1..65536 (slot ids are 16 bits), got " + maxSlots);
        }
        this.maxSlots = maxSlots;
        this.byId = new MemorySlot[maxSlots];
    }

    /** {@code KVM_CAP_NR_MEMSLOTS}. */
    public int maxSlots() {
        return maxSlots;
    }

    public CodeMap codeMap() {
        return codeMap;
    }

    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Listener listener) {
        listeners.remove(listener);
    }

    /** Moves on every slot change (create, delete, move, flags). */
    public long generation() {
        return generation;
    }

    /** Moves whenever dirty bits are cleared, i.e. whenever pages must be write-protected again. */
    public long writeProtectGeneration() {
        return writeProtectGeneration.get();
    }

    // ---------------------------------------------------------------- KVM_SET_USER_MEMORY_REGION

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}: creates, deletes ({@code memorySize == 0}), moves or changes the flags of
     * a slot, with KVM's rules and errnos.
     *
     * @param slot          {@code kvm_userspace_memory_region.slot}: address space in bits 31:16 (only 0 exists
     *                      here: jkvm has no SMM address space), slot id in bits 15:0
     * @param flags         {@link #KVM_MEM_LOG_DIRTY_PAGES} and/or {@link #KVM_MEM_READONLY}
     * @param guestPhysAddr 4 KiB aligned
     * @param memorySize    4 KiB aligned, unsigned; 0 deletes the slot
     * @param userMemory    native memory of at least {@code memorySize} bytes, 4 KiB aligned; may be {@code null}
     *                      when deleting
     * @throws KvmException EINVAL, EEXIST or EFAULT, exactly where KVM fails (see the class comment for EFAULT)
     */
    public synchronized void setUserMemoryRegion(int slot, int flags, long guestPhysAddr, long memorySize,
                                                 MemorySegment userMemory) {
        if ((flags & ~VALID_FLAGS) != 0) {
            throw fail(Errno.EINVAL, "flags 0x" + Integer.toHexString(flags) + " has bits other than"
                    + " KVM_MEM_LOG_DIRTY_PAGES (1) and KVM_MEM_READONLY (2); clear them");
        }
        int asId = slot >>> 16;
        int id = slot & 0xFFFF;
        if ((memorySize & (PAGE_SIZE - 1)) != 0) {
            throw fail(Errno.EINVAL, "memory_size 0x" + Long.toHexString(memorySize)
                    + " is not a multiple of 4096; round it to whole pages");
        }
        if ((guestPhysAddr & (PAGE_SIZE - 1)) != 0) {
            throw fail(Errno.EINVAL, "guest_phys_addr 0x" + Long.toHexString(guestPhysAddr)
                    + " is not 4 KiB aligned; align it to a page");
        }
        if (userMemory != null && userMemory.isNative() && (userMemory.address() & (PAGE_SIZE - 1)) != 0) {
            throw fail(Errno.EINVAL, "userspace_addr 0x" + Long.toHexString(userMemory.address())
                    + " is not 4 KiB aligned; allocate with 4096-byte alignment");
        }
        if (asId != 0 || id >= maxSlots) {
            throw fail(Errno.EINVAL, "slot 0x" + Integer.toHexString(slot) + " (address space " + asId + ", id " + id
                    + ") is out of range; use address space 0 and an id below KVM_CAP_NR_MEMSLOTS = " + maxSlots);
        }
        if (Long.compareUnsigned(guestPhysAddr + memorySize, guestPhysAddr) < 0) {
            throw fail(Errno.EINVAL, "guest_phys_addr 0x" + Long.toHexString(guestPhysAddr) + " + memory_size 0x"
                    + Long.toHexString(memorySize) + " wraps around 2^64; use a smaller size or address");
        }
        if (Long.compareUnsigned(memorySize >>> PAGE_SHIFT, KVM_MEM_MAX_NR_PAGES) > 0) {
            throw fail(Errno.EINVAL, "memory_size 0x" + Long.toHexString(memorySize) + " is more than "
                    + "KVM_MEM_MAX_NR_PAGES (2^31 - 1) pages; split the memory over several slots");
        }

        MemorySlot old = byId[id];
        if (memorySize == 0) {
            if (old == null) {
                throw fail(Errno.EINVAL, "slot " + id + " does not exist, so it cannot be deleted "
                        + "(memory_size 0 deletes); delete only slots you created");
            }
            replace(old, null);
            return;
        }
        if (old != null) {
            if (userMemory == null || !userMemory.isNative() || userMemory.address() != old.hostAddress() || memorySize != old.size()
                    || ((flags ^ old.flags()) & KVM_MEM_READONLY) != 0) {
                throw fail(Errno.EINVAL, "slot " + id + " exists (" + old + "); an existing slot may only move"
                        + " (new guest_phys_addr) or change KVM_MEM_LOG_DIRTY_PAGES, keeping userspace_addr, "
                        + "memory_size and KVM_MEM_READONLY; delete it (memory_size 0) and create it again instead");
            }
            if (guestPhysAddr == old.guestPhysAddr() && flags == old.flags()) {
                return; // KVM: nothing to change
            }
        }
        boolean createOrMove = old == null || guestPhysAddr != old.guestPhysAddr();
        if (createOrMove) {
            MemorySlot other = overlapping(id, guestPhysAddr, memorySize);
            if (other != null) {
                throw fail(Errno.EEXIST, "[0x" + Long.toHexString(guestPhysAddr) + ", 0x"
                        + Long.toHexString(guestPhysAddr + memorySize) + ") overlaps " + other
                        + "; slots may not overlap: delete or move that slot first");
            }
            long lastGfn = (guestPhysAddr >>> PAGE_SHIFT) + (memorySize >>> PAGE_SHIFT) - 1;
            if (Long.compareUnsigned(lastGfn, (1L << (MAX_PHYS_ADDR_BITS - PAGE_SHIFT)) - 1) > 0) {
                throw fail(Errno.EINVAL, "the slot ends above the 52-bit physical address space (last page 0x"
                        + Long.toHexString(lastGfn << PAGE_SHIFT) + "); place it lower");
            }
        }
        checkBacking(memorySize, flags, userMemory);
        DirtyLog log = null;
        if ((flags & KVM_MEM_LOG_DIRTY_PAGES) != 0) {
            log = old != null ? old.dirtyLog() : null;
            if (log == null) {
                log = new DirtyLog(memorySize >>> PAGE_SHIFT);
                if ((manualDirtyLogProtect & KVM_DIRTY_LOG_INITIALLY_SET) != 0) {
                    log.setAll();
                }
            }
        }
        replace(old, new MemorySlot(id, flags, guestPhysAddr, memorySize, userMemory.asSlice(0, memorySize), log));
    }

    /**
     * What KVM would only find at {@code KVM_RUN} (EFAULT on the first touch of an unbacked page), checked last so
     * that every error KVM reports at this call wins over it.
     */
    private static void checkBacking(long memorySize, int flags, MemorySegment userMemory) {
        if (userMemory == null) {
            throw fail(Errno.EFAULT, "userspace memory is null; pass a native MemorySegment of at least "
                    + "memory_size bytes (e.g. Arena.allocate(size, 4096))");
        }
        if (!userMemory.isNative()) {
            throw fail(Errno.EFAULT, "userspace memory is a heap segment, which has no stable address for the"
                    + " guest; allocate native memory (Arena.allocate(size, 4096) or a mapped file)");
        }
        if (!userMemory.scope().isAlive()) {
            throw fail(Errno.EFAULT, "userspace memory belongs to a closed arena; keep the arena open while the"
                    + " slot exists");
        }
        if (Long.compareUnsigned(userMemory.byteSize(), memorySize) < 0) {
            throw fail(Errno.EFAULT, "userspace memory holds 0x" + Long.toHexString(userMemory.byteSize())
                    + " bytes but memory_size is 0x" + Long.toHexString(memorySize)
                    + "; pass a segment covering the whole slot");
        }
        if (userMemory.isReadOnly() && (flags & KVM_MEM_READONLY) == 0) {
            throw fail(Errno.EFAULT, "userspace memory is a read-only segment but the slot is writable;"
                    + " pass a writable segment or set KVM_MEM_READONLY");
        }
    }

    private static KvmException fail(Errno errno, String detail) {
        return new KvmException(SET_REGION, errno, detail);
    }

    private MemorySlot overlapping(int id, long start, long size) {
        long end = start + size;
        for (MemorySlot s : layout.sorted) {
            if (s.id() != id && s.guestPhysAddr() < end && start < s.guestPhysEnd()) {
                return s;
            }
        }
        return null;
    }

    private void replace(MemorySlot old, MemorySlot replacement) {
        List<MemorySlot> list = new ArrayList<>(Arrays.asList(layout.sorted));
        if (old != null) {
            list.remove(old);
            byId[old.id()] = null;
        }
        if (replacement != null) {
            list.add(replacement);
            byId[replacement.id()] = replacement;
        }
        list.sort(Comparator.comparingLong(MemorySlot::guestPhysAddr));
        layout = new Layout(list.toArray(new MemorySlot[0]));
        long gen = ++generation;
        // Code translated from a slot that moved or went away is keyed by an address that no longer holds it.
        if (old != null && (replacement == null || replacement.guestPhysAddr() != old.guestPhysAddr())) {
            codeMap.clearRange(old.guestPhysAddr(), old.size());
        }
        for (Listener l : listeners) {
            l.slotsChanged(gen);
        }
    }

    // ---------------------------------------------------------------- lookups

    /**
     * The slot containing guest-physical {@code gpa}, or {@code null} when no RAM is there (the caller treats the
     * access as MMIO). Lock-free and allocation-free.
     */
    public MemorySlot find(long gpa) {
        Layout l = layout;
        MemorySlot hit = l.lastHit;
        if (hit != null && hit.contains(gpa)) {
            return hit;
        }
        long[] starts = l.starts;
        int lo = 0;
        int hi = starts.length - 1;
        // The last slot starting at or below gpa is the only candidate: slots do not overlap.
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= gpa) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (hi < 0) {
            return null;
        }
        MemorySlot s = l.sorted[hi];
        if (!s.contains(gpa)) {
            return null;
        }
        l.lastHit = s;
        return s;
    }

    /** The slot with this id, or {@code null}. */
    public MemorySlot slot(int id) {
        return id >= 0 && id < maxSlots ? byId[id] : null;
    }

    /** The current slots, sorted by guest-physical address. */
    public List<MemorySlot> slots() {
        return List.of(layout.sorted);
    }

    // ---------------------------------------------------------------- dirty log

    /**
     * {@code KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)} with {@code args[0] = options}: with
     * {@link #KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE}, {@link #getDirtyLog} stops clearing the log and only
     * {@link #clearDirtyLog} clears it; {@link #KVM_DIRTY_LOG_INITIALLY_SET} (only together with it) makes new logs
     * start all dirty. 0 turns the mode off again, as in KVM.
     */
    public void enableManualDirtyLogProtect(long options) {
        long allowed = (options & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) != 0
                ? KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET
                : KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
        if ((options & ~allowed) != 0) {
            throw new KvmException("KVM_ENABLE_CAP", Errno.EINVAL, "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 options 0x"
                    + Long.toHexString(options) + " are not a subset of 0x" + Long.toHexString(allowed)
                    + "; KVM_DIRTY_LOG_INITIALLY_SET (2) needs KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE (1)");
        }
        manualDirtyLogProtect = options;
    }

    /** The options last enabled with {@link #enableManualDirtyLogProtect}. */
    public long manualDirtyLogProtect() {
        return manualDirtyLogProtect;
    }

    /**
     * {@code KVM_GET_DIRTY_LOG}: copies the slot's log into {@code bitmap} (64-bit little-endian words, bit n =
     * page n of the slot, {@code ALIGN(npages, 64) / 8} bytes) and, unless manual protection is on, clears it.
     *
     * @throws KvmException EINVAL for a slot id out of range, ENOENT for a slot that does not exist or does not
     *                      log dirty pages, EFAULT when {@code bitmap} is too small
     */
    public void getDirtyLog(int slot, MemorySegment bitmap) {
        MemorySlot s = dirtyLogSlot(GET_LOG, slot);
        DirtyLog log = s.dirtyLog();
        checkBitmap(GET_LOG, bitmap, log.bitmapBytes());
        boolean manual = (manualDirtyLogProtect & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) != 0;
        if (log.copyTo(bitmap, !manual)) {
            writeProtected(s);
        }
    }

    /**
     * {@code KVM_CLEAR_DIRTY_LOG}: clears the pages {@code firstPage .. firstPage+numPages-1} whose bit is set in
     * {@code bitmap} (bit n = page {@code firstPage + n}, {@code ALIGN(numPages, 64) / 8} bytes read). Works whether
     * or not manual protection is enabled, as in KVM.
     *
     * @param numPages unsigned 32-bit, as {@code kvm_clear_dirty_log.num_pages}
     * @throws KvmException EINVAL for a slot id out of range, a {@code firstPage} that is not a multiple of 64, a
     *                      range outside the slot or a {@code numPages} that is not a multiple of 64 and stops
     *                      before the slot's end; ENOENT for a slot without a dirty log; EFAULT for a short bitmap
     */
    public void clearDirtyLog(int slot, long firstPage, int numPages, MemorySegment bitmap) {
        checkLogSlotId(CLEAR_LOG, slot);
        if ((firstPage & 63) != 0) {
            throw new KvmException(CLEAR_LOG, Errno.EINVAL, "first_page " + Long.toUnsignedString(firstPage)
                    + " is not a multiple of 64; clear whole 64-page words");
        }
        MemorySlot s = dirtyLogSlot(CLEAR_LOG, slot);
        long pages = s.size() >>> PAGE_SHIFT;
        long n = Integer.toUnsignedLong(numPages);
        if (Long.compareUnsigned(firstPage, pages) > 0 || n > pages - firstPage
                || (n < pages - firstPage && (n & 63) != 0)) {
            throw new KvmException(CLEAR_LOG, Errno.EINVAL, "pages " + Long.toUnsignedString(firstPage) + " + "
                    + n + " do not fit slot " + s.id() + " of " + pages + " pages, or num_pages is not a multiple"
                    + " of 64 without reaching the slot's end; stay inside the slot");
        }
        long bytes = ((n + 63) >>> 6) * Long.BYTES;
        checkBitmap(CLEAR_LOG, bitmap, bytes);
        if (s.dirtyLog().clear(firstPage, n, bitmap)) {
            writeProtected(s);
        }
    }

    private void checkLogSlotId(String op, int slot) {
        if ((slot >>> 16) != 0 || (slot & 0xFFFF) >= maxSlots) {
            throw new KvmException(op, Errno.EINVAL, "slot 0x" + Integer.toHexString(slot)
                    + " is out of range; use address space 0 and an id below " + maxSlots);
        }
    }

    private MemorySlot dirtyLogSlot(String op, int slot) {
        checkLogSlotId(op, slot);
        MemorySlot s = byId[slot & 0xFFFF];
        if (s == null || !s.logDirty()) {
            throw new KvmException(op, Errno.ENOENT, "slot " + (slot & 0xFFFF) + (s == null ? " does not exist"
                    : " does not log dirty pages") + "; create it with KVM_MEM_LOG_DIRTY_PAGES first");
        }
        return s;
    }

    private static void checkBitmap(String op, MemorySegment bitmap, long bytes) {
        if (bitmap == null || bitmap.byteSize() < bytes) {
            throw new KvmException(op, Errno.EFAULT, "dirty_bitmap holds " + (bitmap == null ? "nothing"
                    : bitmap.byteSize() + " bytes") + " but " + bytes + " are needed (ALIGN(pages, 64) / 8)");
        }
    }

    private void writeProtected(MemorySlot slot) {
        long gen = writeProtectGeneration.incrementAndGet();
        for (Listener l : listeners) {
            l.dirtyPagesWriteProtected(slot, gen);
        }
    }

    /** Marks the page holding {@code gpa} dirty if a slot that logs dirty pages contains it. */
    public void markDirty(long gpa) {
        MemorySlot s = find(gpa);
        if (s != null) {
            s.markDirty(gpa);
        }
    }

    // ---------------------------------------------------------------- physical-address helpers

    /**
     * Reads guest-physical memory as the host (the VMM reading its own memory). Ranges may span adjacent slots.
     *
     * @throws MemoryAccessException when part of the range is not RAM
     */
    public void readBytes(long gpa, byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        long done = 0;
        while (done < length) {
            MemorySlot s = slotFor(gpa + done, length - done, gpa, length);
            long n = Math.min(length - done, s.guestPhysEnd() - (gpa + done));
            MemorySegment.copy(s.segment(), ValueLayout.JAVA_BYTE, gpa + done - s.guestPhysAddr(), dst,
                    (int) (offset + done), (int) n);
            done += n;
        }
    }

    public byte[] readBytes(long gpa, int length) {
        byte[] b = new byte[length];
        readBytes(gpa, b, 0, length);
        return b;
    }

    /**
     * Writes guest-physical memory as the host (a loader, or the VMM writing its own memory): READONLY slots are
     * writable this way and no dirty bit is set, as for KVM userspace. Translated code the bytes overwrite is
     * invalidated, since the guest would otherwise keep running the old instructions.
     *
     * @throws MemoryAccessException when part of the range is not RAM
     */
    public void writeBytes(long gpa, byte[] src, int offset, int length) {
        write(gpa, src, offset, length, false);
    }

    public void writeBytes(long gpa, byte[] src) {
        write(gpa, src, 0, src.length, false);
    }

    /**
     * Writes guest-physical memory on the guest's behalf (KVM's {@code kvm_write_guest}: a device's DMA, a
     * paravirtual structure): marks the pages dirty in logging slots and invalidates overwritten code.
     *
     * @throws MemoryAccessException when part of the range is not RAM or is in a READONLY slot (a guest write
     *                               there is an MMIO exit, not a memory write)
     */
    public void guestWriteBytes(long gpa, byte[] src, int offset, int length) {
        write(gpa, src, offset, length, true);
    }

    private void write(long gpa, byte[] src, int offset, int length, boolean asGuest) {
        Objects.checkFromIndexSize(offset, length, src.length);
        // Check the whole range first, so that a failing write changes nothing.
        for (long done = 0; done < length; ) {
            MemorySlot s = slotFor(gpa + done, length - done, gpa, length);
            if (asGuest && s.readOnly()) {
                throw new MemoryAccessException(gpa, length, "guest write to 0x" + Long.toHexString(gpa + done)
                        + " hits read-only " + s + "; guest writes there are MMIO exits, handle them as such");
            }
            done += Math.min(length - done, s.guestPhysEnd() - (gpa + done));
        }
        long done = 0;
        while (done < length) {
            MemorySlot s = find(gpa + done);
            long n = Math.min(length - done, s.guestPhysEnd() - (gpa + done));
            MemorySegment.copy(src, (int) (offset + done), s.segment(), ValueLayout.JAVA_BYTE,
                    gpa + done - s.guestPhysAddr(), (int) n);
            if (asGuest) {
                for (long p = (gpa + done) & ~(PAGE_SIZE - 1); p < gpa + done + n; p += PAGE_SIZE) {
                    s.markDirty(p);
                }
            }
            done += n;
        }
        if (length > 0) {
            codeMap.codeWritten(gpa, length);
        }
    }

    public byte readByte(long gpa) {
        MemorySlot s = slotFor(gpa, 1, gpa, 1);
        return s.segment().get(ValueLayout.JAVA_BYTE, gpa - s.guestPhysAddr());
    }

    public short readShort(long gpa) {
        MemorySlot s = find(gpa);
        if (s != null && gpa + 2 <= s.guestPhysEnd()) {
            return s.segment().get(SHORT, gpa - s.guestPhysAddr());
        }
        byte[] b = readBytes(gpa, 2);
        return (short) ((b[0] & 0xFF) | (b[1] & 0xFF) << 8);
    }

    public int readInt(long gpa) {
        MemorySlot s = find(gpa);
        if (s != null && gpa + 4 <= s.guestPhysEnd()) {
            return s.segment().get(INT, gpa - s.guestPhysAddr());
        }
        return (int) littleEndian(readBytes(gpa, 4));
    }

    public long readLong(long gpa) {
        MemorySlot s = find(gpa);
        if (s != null && gpa + 8 <= s.guestPhysEnd()) {
            return s.segment().get(LONG, gpa - s.guestPhysAddr());
        }
        return littleEndian(readBytes(gpa, 8));
    }

    public void writeByte(long gpa, byte value) {
        writeSmall(gpa, value, 1, false);
    }

    public void writeShort(long gpa, short value) {
        writeSmall(gpa, value, 2, false);
    }

    public void writeInt(long gpa, int value) {
        writeSmall(gpa, value, 4, false);
    }

    public void writeLong(long gpa, long value) {
        writeSmall(gpa, value, 8, false);
    }

    /** {@link #guestWriteBytes} for 4 bytes, little-endian. */
    public void guestWriteInt(long gpa, int value) {
        writeSmall(gpa, value, 4, true);
    }

    /** {@link #guestWriteBytes} for 8 bytes, little-endian. */
    public void guestWriteLong(long gpa, long value) {
        writeSmall(gpa, value, 8, true);
    }

    /** A write of 1, 2, 4 or 8 bytes: no allocation when it falls inside one slot (devices use these often). */
    private void writeSmall(long gpa, long value, int size, boolean asGuest) {
        MemorySlot s = find(gpa);
        if (s == null || gpa + size > s.guestPhysEnd() || (asGuest && s.readOnly())) {
            byte[] b = toBytes(value, size); // slow path: spans slots, or fails with the full explanation
            write(gpa, b, 0, size, asGuest);
            return;
        }
        long offset = gpa - s.guestPhysAddr();
        switch (size) {
            case 1 -> s.segment().set(ValueLayout.JAVA_BYTE, offset, (byte) value);
            case 2 -> s.segment().set(SHORT, offset, (short) value);
            case 4 -> s.segment().set(INT, offset, (int) value);
            default -> s.segment().set(LONG, offset, value);
        }
        if (asGuest) {
            s.markDirty(gpa);
            s.markDirty(gpa + size - 1);
        }
        codeMap.codeWritten(gpa, size);
    }

    private static byte[] toBytes(long value, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    private static long littleEndian(byte[] b) {
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xFF);
        }
        return v;
    }

    private MemorySlot slotFor(long at, long remaining, long gpa, long length) {
        MemorySlot s = find(at);
        if (s == null) {
            throw new MemoryAccessException(gpa, length, "no RAM slot covers guest-physical 0x"
                    + Long.toHexString(at) + " (access of " + length + " bytes at 0x" + Long.toHexString(gpa)
                    + "); set a memory region covering it, or treat the address as MMIO");
        }
        return s;
    }
}
