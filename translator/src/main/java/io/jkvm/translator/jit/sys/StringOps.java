package io.jkvm.translator.jit.sys;

import io.jkvm.mmu.Access;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.Prefix;
import io.jkvm.translator.jit.Mem;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;
import io.jkvm.translator.jit.Trap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The string instructions MOVS, STOS, LODS, CMPS and SCAS, with REP/REPE/REPNE, every element and address size,
 * and DF.
 *
 * <p><b>Precision.</b> Elements complete one at a time as far as the guest can tell: when one faults, RSI, RDI and
 * RCX count exactly the elements before it, RIP stays on the instruction, and the fault is returned as
 * {@link Status#TRAP} (so the region keeps the partial progress). An MMIO load ends the instruction the same way
 * with {@link Status#EXIT}; after an MMIO store (or a store into translated code) the instruction stops after that
 * element so the executor can act. A long REP polls {@code cpu.requests} and, when the run loop wants control,
 * stops with RIP on the instruction: it resumes where it left off, as an interrupted REP does on hardware.
 *
 * <p><b>Speed.</b> REP MOVS and REP STOS (either direction) and forward REPE/REPNE CMPS and SCAS work a page at a
 * time on host memory when both sides are RAM the soft TLB may map directly (see {@link HostAccess}): a copy, fill
 * or scan per page instead of a guest access per element (about 30 GB/s instead of 50 MB/s for REP MOVSB).
 * Anything else on a page (MMIO, translated code, a fault) goes through the element path, which is what makes the
 * precise behaviour above hold there too.
 */
final class StringOps {
    /** Elements between polls of {@code cpu.requests} on the element path. */
    private static final int POLL_INTERVAL = 256;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private StringOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.MOVS, false, (cpu, mem, insn) -> run(cpu, mem, insn, Kind.MOVS));
        t.add(Mnemonic.STOS, false, (cpu, mem, insn) -> run(cpu, mem, insn, Kind.STOS));
        t.add(Mnemonic.LODS, false, (cpu, mem, insn) -> run(cpu, mem, insn, Kind.LODS));
        t.add(Mnemonic.CMPS, false, (cpu, mem, insn) -> run(cpu, mem, insn, Kind.CMPS));
        t.add(Mnemonic.SCAS, false, (cpu, mem, insn) -> run(cpu, mem, insn, Kind.SCAS));
    }

    /** What one element does, and which of RSI/RDI it uses (Intel operand order in the decoder's operands). */
    enum Kind {
        MOVS(true, true, 1), STOS(false, true, -1), LODS(true, false, 1), CMPS(true, true, 0), SCAS(false, true, -1);

        final boolean usesSource;
        final boolean usesDestination;
        /** Index of the DS:RSI operand in {@link Instruction#operands()}, -1 when none. */
        final int sourceOperand;

        Kind(boolean usesSource, boolean usesDestination, int sourceOperand) {
            this.usesSource = usesSource;
            this.usesDestination = usesDestination;
            this.sourceOperand = sourceOperand;
        }

        boolean compares() {
            return this == CMPS || this == SCAS;
        }
    }

    /** The working state of one execution: offsets and count held here and written back once, at the end. */
    private static final class Run {
        final CpuState cpu;
        final MemoryPort mem;
        final Instruction insn;
        final Kind kind;
        final int size;
        final int addressSize;
        final long mask;
        final long step;
        final int sourceSegment;
        final boolean rep;
        long si;
        long di;
        /** Elements left to do (the REP count), and done so far. */
        long left;
        long done;
        /** The last comparison (CMPS/SCAS): first - second, and second; valid when {@link #compared}. */
        long cmpFirst;
        long cmpSecond;
        boolean compared;

        Run(CpuState cpu, MemoryPort mem, Instruction insn, Kind kind) {
            this.cpu = cpu;
            this.mem = mem;
            this.insn = insn;
            this.kind = kind;
            this.size = insn.operandSize();
            this.addressSize = insn.addressSize();
            this.mask = Flags.mask(addressSize);
            this.step = (cpu.rflags & Flags.DF) != 0 ? -size : size;
            this.sourceSegment = kind.sourceOperand >= 0
                    ? ((Operand.Mem) insn.operand(kind.sourceOperand)).segment().ordinal() : CpuState.DS;
            this.rep = insn.has(Prefix.REP) || insn.has(Prefix.REPNE);
            this.si = cpu.gpr[CpuState.RSI] & mask;
            this.di = cpu.gpr[CpuState.RDI] & mask;
            this.left = rep ? cpu.gpr[CpuState.RCX] & mask : 1;
        }

        long sourceLinear() {
            return Operands.linear(cpu, sourceSegment, si);
        }

        long destinationLinear() {
            return Operands.linear(cpu, CpuState.ES, di);
        }

        /** Advances past {@code n} elements. */
        void advance(long n) {
            if (kind.usesSource) {
                si = (si + n * step) & mask;
            }
            if (kind.usesDestination) {
                di = (di + n * step) & mask;
            }
            left -= n;
            done += n;
        }

        /** CMPS/SCAS under REPE/REPNE stop when ZF says so. */
        boolean comparisonStops() {
            if (!kind.compares() || !rep || !compared) {
                return false;
            }
            boolean zf = ((cmpFirst - cmpSecond) & Flags.mask(size)) == 0;
            return insn.has(Prefix.REPNE) == zf;
        }

        /** Writes RSI/RDI/RCX (and flags, for comparisons) back into the CPU state. */
        void commit() {
            if (kind.usesSource) {
                Operands.writeGpr(cpu, CpuState.RSI, addressSize, si);
            }
            if (kind.usesDestination) {
                Operands.writeGpr(cpu, CpuState.RDI, addressSize, di);
            }
            if (rep) {
                Operands.writeGpr(cpu, CpuState.RCX, addressSize, left);
            }
            if (compared) {
                long m = Flags.mask(size);
                cpu.ccOp = Flags.op(Flags.SUB, size);
                cpu.ccDst = (cmpFirst - cmpSecond) & m;
                cpu.ccSrc = cmpSecond & m;
                cpu.ccSrc2 = 0;
            }
        }
    }

    static int run(CpuState cpu, MemoryPort mem, Instruction insn, Kind kind) {
        Run r = new Run(cpu, mem, insn, kind);
        if (r.left == 0) {
            Operands.retire(cpu, insn);
            return Status.CONTINUE;
        }
        // Page-at-a-time paths: copies and fills in either direction, comparisons forwards.
        // The bulk paths skip per-element checks, so they run only when no element could raise #AC.
        boolean bulk = r.rep && (kind == Kind.MOVS || kind == Kind.STOS || (kind.compares() && r.step > 0))
                && (r.size == 1 || !mem.alignmentChecks());
        boolean interrupted = false;
        try {
            while (r.left != 0) {
                if (bulk && (kind.compares() ? scanChunk(r) : bulkChunk(r))) {
                    if (r.comparisonStops()) {
                        break;
                    }
                } else {
                    element(r);
                    if (r.comparisonStops()) {
                        break;
                    }
                    if (cpu.pendingExit != 0) {
                        break;
                    }
                    if (!bulk && (r.done % POLL_INTERVAL) != 0) {
                        continue;
                    }
                }
                if (r.left != 0 && cpu.requests != 0) {
                    interrupted = true;
                    break;
                }
            }
        } catch (GuestException fault) {
            // Registers change only with completed elements: a fault on the first one leaves RSI/RDI/RCX exactly
            // as they were (a 32-bit address size must not clear their upper halves), as on hardware.
            if (r.done > 0) {
                r.commit();
            }
            cpu.trap = fault;
            return Status.TRAP;
        } catch (Trap.ExitSignal mmioLoad) {
            // MMIO read: userspace supplies the data and the instruction resumes at this element.
            if (r.done > 0) {
                r.commit();
            }
            return Status.EXIT;
        }
        r.commit();
        boolean finished = r.left == 0 || r.comparisonStops();
        if (finished) {
            Operands.retire(cpu, insn);
        }
        if (cpu.pendingExit != 0 || interrupted || !finished) {
            return Status.END_BLOCK;
        }
        return Status.CONTINUE;
    }

    /** One element through the guest memory interface (faults and MMIO behave exactly as for any access). */
    private static void element(Run r) {
        CpuState cpu = r.cpu;
        MemoryPort mem = r.mem;
        int size = r.size;
        switch (r.kind) {
            case MOVS -> mem.write(r.destinationLinear(), size, mem.read(r.sourceLinear(), size));
            case STOS -> mem.write(r.destinationLinear(), size, cpu.gpr[CpuState.RAX]);
            case LODS -> {
                long v = mem.read(r.sourceLinear(), size);
                // Committed now: a later fault must not undo a load already done (RSI moves with it).
                Operands.writeGpr(cpu, CpuState.RAX, size, v);
            }
            case CMPS -> {
                long a = mem.read(r.sourceLinear(), size);
                long b = mem.read(r.destinationLinear(), size);
                r.cmpFirst = a;
                r.cmpSecond = b;
                r.compared = true;
            }
            case SCAS -> {
                long b = mem.read(r.destinationLinear(), size);
                r.cmpFirst = cpu.gpr[CpuState.RAX] & Flags.mask(size);
                r.cmpSecond = b;
                r.compared = true;
            }
        }
        r.advance(1);
    }

    /**
     * Moves or fills as many elements as lie within the current source and destination pages directly in host
     * memory, in the direction DF gives. Returns false (nothing done) when a page is not plain RAM for this access
     * or an element straddles a page: the caller then takes one element through the guest memory interface.
     */
    private static boolean bulkChunk(Run r) {
        boolean down = r.step < 0;
        long dst = r.destinationLinear();
        // RCX is unsigned: a 64-bit count of -1 means 2^64 - 1 elements.
        long n = IoOps.minUnsigned(r.left, IoOps.elementsInPage(dst, r.di, r.mask, r.size, down));
        long src = 0;
        if (r.kind == Kind.MOVS) {
            src = r.sourceLinear();
            n = Math.min(n, IoOps.elementsInPage(src, r.si, r.mask, r.size, down));
        }
        if (n <= 1) {
            return false;
        }
        long hostDst = HostAccess.lookup(r.mem, dst, Access.WRITE);
        if (hostDst == HostAccess.MISS) {
            return false;
        }
        if (r.kind == Kind.MOVS) {
            long hostSrc = HostAccess.lookup(r.mem, src, Access.READ);
            if (hostSrc == HostAccess.MISS) {
                return false;
            }
            // Element by element, a copy replicates its pattern when it writes ahead of where it reads (dst above
            // src going up, below it going down). Copying slices no longer than the distance gives the same bytes
            // as long as an element fits in one slice; otherwise the copy is a memmove.
            long ahead = down ? hostSrc - hostDst : hostDst - hostSrc;
            if (ahead > 0 && ahead < n * r.size) {
                if (ahead < r.size) {
                    return false;
                }
                n = ahead / r.size;
            }
            long first = down ? (n - 1) * r.size : 0;
            MemorySegment.copy(Mem.ALL, hostSrc - first, Mem.ALL, hostDst - first, n * r.size);
        } else {
            fill(down ? hostDst - (n - 1) * r.size : hostDst, n, r.size, r.cpu.gpr[CpuState.RAX]);
        }
        r.advance(n);
        return true;
    }

    /**
     * REPE/REPNE CMPS and SCAS forwards within the current page(s), reading host memory directly, until the
     * condition stops the repetition or the page ends. Returns false when a page is not plain RAM.
     */
    private static boolean scanChunk(Run r) {
        long dst = r.destinationLinear();
        long n = IoOps.minUnsigned(r.left, IoOps.elementsInPage(dst, r.di, r.mask, r.size, false));
        long hostSrc = 0;
        if (r.kind == Kind.CMPS) {
            long src = r.sourceLinear();
            n = Math.min(n, IoOps.elementsInPage(src, r.si, r.mask, r.size, false));
            if (n < 1 || (hostSrc = HostAccess.lookup(r.mem, src, Access.READ)) == HostAccess.MISS) {
                return false;
            }
        }
        long hostDst;
        if (n < 1 || (hostDst = HostAccess.lookup(r.mem, dst, Access.READ)) == HostAccess.MISS) {
            return false;
        }
        long accumulator = r.cpu.gpr[CpuState.RAX] & Flags.mask(r.size);
        for (long i = 0; i < n; i++) {
            long offset = i * r.size;
            r.cmpFirst = r.kind == Kind.CMPS ? Mem.hostLoad(hostSrc + offset, r.size) : accumulator;
            r.cmpSecond = Mem.hostLoad(hostDst + offset, r.size);
            r.compared = true;
            if (r.comparisonStops()) {
                r.advance(i + 1);
                return true;
            }
        }
        r.advance(n);
        return true;
    }

    /** Stores {@code n} copies of the low {@code size} bytes of {@code value} at {@code host}. */
    private static void fill(long host, long n, int size, long value) {
        long v = value & Flags.mask(size);
        long bytePattern = (v & 0xff) * 0x0101010101010101L;
        if (size == 1 || (v == (bytePattern & Flags.mask(size)))) {
            Mem.ALL.asSlice(host, n * size).fill((byte) v);
            return;
        }
        for (long i = 0; i < n; i++) {
            long a = host + i * size;
            switch (size) {
                case 2 -> Mem.ALL.set(U16, a, (short) v);
                case 4 -> Mem.ALL.set(U32, a, (int) v);
                default -> Mem.ALL.set(U64, a, v);
            }
        }
    }
}
