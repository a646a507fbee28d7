package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.cpu.SegmentRegister;
import io.jkvm.translator.jit.ExceptionDelivery;
import io.jkvm.translator.jit.MemoryPort;

/**
 * Vectoring exceptions and interrupts through the guest's interrupt table (SDM Vol. 3, chapter 6): the real-mode
 * IVT, protected-mode interrupt and trap gates (with the stack switch from the TSS on a privilege change, and
 * interrupts out of virtual-8086 mode), and long-mode 16-byte gates (IST, RSP0-2 from the 64-bit TSS, the 16-byte
 * stack alignment, SS = null on a privilege change).
 *
 * <p><b>Atomicity.</b> Delivery reads the gate, the descriptors and the TSS and writes the new stack frame before
 * it changes any register, so a fault during delivery leaves the CPU exactly as it was (memory of a partly written
 * frame aside, as on hardware) and can be vectored in turn.
 *
 * <p><b>Faults during delivery</b> follow the double-fault rules (SDM table 6-5, as KVM's
 * {@code kvm_multiple_exception} applies them): contributory then contributory, or #PF then #PF or contributory,
 * becomes #DF; a fault while delivering #DF is a triple fault (shutdown); any other pair is handled serially, the
 * second fault replacing the first. #PF loads CR2 when it is raised. Fault-class exceptions push RFLAGS with RF set
 * (KVM sets RF before injecting them), so that a resumed instruction breakpoint would not fire twice.
 *
 * <p>Not modelled: task gates and task switches (an IDT task gate raises #GP naming the vector), segment-limit
 * checks on the new stack and return address, CR4.VME interrupt redirection, NMI blocking.
 */
public final class Interrupts {
    /** Where an event comes from: decides the gate-DPL check, the EXT bit of error codes and RF. */
    enum Source {
        /** A processor exception: fault, trap or abort. */
        EXCEPTION(1, false),
        /** An external interrupt ({@code KVM_INTERRUPT}). */
        EXTERNAL(1, false),
        /** INT n, INT3, INTO: the gate's DPL must allow the CPL; faults report EXT = 0. */
        SOFTWARE(0, true),
        /** INT1 (ICEBP): a #DB from an instruction, without the DPL check. */
        PRIVILEGED_SOFTWARE(1, false);

        final int ext;
        final boolean checksGateDpl;

        Source(int ext, boolean checksGateDpl) {
            this.ext = ext;
            this.checksGateDpl = checksGateDpl;
        }
    }

    /** One event to vector: the return RIP is what the frame saves (the faulting or the next instruction). */
    private record Event(int vector, Source source, boolean hasError, int errorCode, long returnRip, boolean rf) {
        int ext() {
            return source.ext;
        }
    }

    /** The executor's hook ({@link io.jkvm.translator.jit.JitVcpu#setExceptionDelivery}). */
    public static final ExceptionDelivery DELIVERY = new ExceptionDelivery() {
        @Override
        public boolean deliverException(CpuState cpu, MemoryPort mem, GuestException e) {
            return Interrupts.deliverException(cpu, mem, e);
        }

        @Override
        public void deliverExternal(CpuState cpu, MemoryPort mem, int vector) {
            Interrupts.deliverExternal(cpu, mem, vector);
        }
    };

    private static final long TSS64_RSP0 = 4, TSS64_IST1 = 0x24;
    /** Enough for any chain: fault, #DF, then a fault during #DF is a triple fault. */
    private static final int MAX_NESTING = 8;

    private Interrupts() {
    }

    // ---------------------------------------------------------------- entry points

    /**
     * Vectors exception {@code e} raised with the CPU state at the faulting instruction (or after it, for traps).
     * Faults raised while vectoring are combined by the double-fault rules and vectored in turn.
     *
     * @return true once a handler is entered; false for a triple fault: the vcpu must shut down
     *         ({@code KVM_EXIT_SHUTDOWN}), its state is that before the last delivery attempt
     */
    public static boolean deliverException(CpuState cpu, MemoryPort mem, GuestException e) {
        GuestException current = e;
        for (int attempt = 0; attempt < MAX_NESTING; attempt++) {
            if (current.vector() == GuestException.PF) {
                cpu.cr2 = current.address();
            }
            try {
                vector(cpu, mem, exceptionEvent(cpu, current));
                return true;
            } catch (GuestException nested) {
                if (nested.vector() == GuestException.PF) {
                    cpu.cr2 = nested.address();
                }
                if (current.vector() == GuestException.DF) {
                    return false;
                }
                if (makesDoubleFault(current, nested)) {
                    current = GuestException.of(GuestException.DF, "double fault: " + describe(nested)
                            + " while delivering " + describe(current));
                } else {
                    current = nested;
                }
            }
        }
        return false;
    }

    /**
     * Vectors external interrupt {@code vector} (the caller checked IF and the interrupt shadow).
     *
     * @throws GuestException a fault while vectoring (error codes carry EXT = 1), state unchanged; deliver it with
     *         {@link #deliverException}
     */
    public static void deliverExternal(CpuState cpu, MemoryPort mem, int vector) {
        vector(cpu, mem, new Event(vector & 0xff, Source.EXTERNAL, false, 0, cpu.rip, false));
    }

    /**
     * INT n, INT3, INTO and INT1: vectors {@code vector} with {@code returnRip} (the next instruction) in the frame.
     * Throws the fault with nothing changed if vectoring fails.
     */
    static void deliverSoftware(CpuState cpu, MemoryPort mem, int vector, long returnRip, Source source) {
        vector(cpu, mem, new Event(vector & 0xff, source, false, 0, returnRip, false));
    }

    /** Double fault (SDM table 6-5): contributory after contributory, or #PF/contributory after #PF. */
    static boolean makesDoubleFault(GuestException first, GuestException second) {
        boolean secondBenign = !second.isContributory() && second.vector() != GuestException.PF;
        if (first.vector() == GuestException.PF) {
            return !secondBenign;
        }
        return first.isContributory() && second.isContributory();
    }

    private static Event exceptionEvent(CpuState cpu, GuestException e) {
        int v = e.vector();
        // Faults push RF = 1; traps (#DB, #BP, #OF) and aborts (#DF, #MC) do not.
        boolean fault = v != GuestException.DB && v != GuestException.BP && v != GuestException.OF
                && v != GuestException.DF && v != GuestException.MC;
        return new Event(v, Source.EXCEPTION, e.hasErrorCode(), e.errorCode(), cpu.rip, fault);
    }

    private static String describe(GuestException e) {
        return "vector " + e.vector() + (e.hasErrorCode() ? "(0x" + Integer.toHexString(e.errorCode()) + ")" : "");
    }

    // ---------------------------------------------------------------- vectoring

    private static void vector(CpuState cpu, MemoryPort mem, Event ev) {
        if (Privilege.realMode(cpu)) {
            realMode(cpu, mem, ev);
        } else if (cpu.longMode()) {
            longMode(cpu, mem, ev);
        } else {
            protectedMode(cpu, mem, ev);
        }
        cpu.interruptShadow = false;
        cpu.halted = false;
    }

    /** The RFLAGS image pushed in the frame. */
    private static long flagsImage(CpuState cpu, Event ev) {
        long f = cpu.getRflags();
        return ev.rf ? f | Flags.RF : f;
    }

    /** Real mode: the 4-byte IVT entry (offset, segment) at IDTR.base + vector * 4; FLAGS, CS, IP pushed. */
    private static void realMode(CpuState cpu, MemoryPort mem, Event ev) {
        long entry = ev.vector * 4L;
        if (entry + 3 > (cpu.idtLimit & 0xffffL)) {
            throw Faults.gp0("vector " + ev.vector + " beyond the IVT limit");
        }
        long ivt = mem.readSupervisor((cpu.idtBase + entry) & 0xffffffffL, 4);
        Stack s = Stack.current(cpu, mem);
        s.push(flagsImage(cpu, ev), 2);
        s.push(cpu.seg[CpuState.CS].selector, 2);
        s.push(ev.returnRip, 2);
        s.commit();
        cpu.rflags &= ~(Flags.IF | Flags.TF | Flags.AC | Flags.RF);
        cpu.seg[CpuState.CS].loadReal((int) (ivt >>> 16));
        cpu.rip = ivt & 0xffff;
    }

    /** A gate of the IDT, decoded. */
    private record Gate(int type, int dpl, boolean present, int selector, long offset, int ist) {
        boolean interrupt() {
            return type == Descriptors.INTERRUPT_GATE || type == Descriptors.INTERRUPT_GATE16;
        }

        boolean wide() {
            return type == Descriptors.INTERRUPT_GATE || type == Descriptors.TRAP_GATE;
        }
    }

    /** Reads and checks the IDT gate (limit, type, DPL for software interrupts, present). */
    private static Gate gate(CpuState cpu, MemoryPort mem, Event ev, boolean longMode) {
        int size = longMode ? 16 : 8;
        long entry = (long) ev.vector * size;
        int idtCode = Faults.idtCode(ev.vector, ev.ext());
        if (entry + size - 1 > (cpu.idtLimit & 0xffffL)) {
            throw Faults.gp(idtCode, "vector " + ev.vector + " beyond the IDT limit");
        }
        long base = cpu.idtBase + entry;
        long lo = mem.readSupervisor(longMode ? base : base & 0xffffffffL, 8);
        long hi = longMode ? mem.readSupervisor(base + 8, 8) : 0;
        int typeAndS = (int) (lo >>> 40) & 0x1f;
        boolean ok = longMode
                ? typeAndS == Descriptors.INTERRUPT_GATE || typeAndS == Descriptors.TRAP_GATE
                : typeAndS == Descriptors.INTERRUPT_GATE || typeAndS == Descriptors.TRAP_GATE
                || typeAndS == Descriptors.INTERRUPT_GATE16 || typeAndS == Descriptors.TRAP_GATE16;
        if (!ok) {
            throw Faults.gp(idtCode, "IDT entry " + ev.vector + " is not an interrupt or trap gate (type "
                    + typeAndS + (typeAndS == Descriptors.TASK_GATE ? ": task gates are not supported" : "") + ")");
        }
        int dpl = Descriptors.dpl(lo);
        if (ev.source.checksGateDpl && dpl < cpu.cpl()) {
            throw Faults.gp(Faults.idtCode(ev.vector, 0), "software interrupt through a gate of DPL " + dpl);
        }
        if (!Descriptors.present(lo)) {
            throw Faults.np(idtCode, "IDT gate " + ev.vector + " not present");
        }
        long offset = (lo & 0xffff) | ((lo >>> 32) & 0xffff0000L);
        if (longMode) {
            offset |= hi << 32;
        } else if (typeAndS == Descriptors.INTERRUPT_GATE16 || typeAndS == Descriptors.TRAP_GATE16) {
            offset &= 0xffff;
        }
        return new Gate(typeAndS, dpl, true, (int) (lo >>> 16) & 0xffff, offset, (int) (lo >>> 32) & 7);
    }

    /** The target code segment of a gate: a present code segment the CPL may enter. Returns its descriptor. */
    private static long targetCode(CpuState cpu, MemoryPort mem, Event ev, Gate g) {
        if (Descriptors.isNull(g.selector)) {
            throw Faults.gp(ev.ext(), "IDT gate " + ev.vector + " with a null code selector");
        }
        long cd = Descriptors.read(cpu, mem, g.selector, ev.ext());
        int code = Faults.selectorCode(g.selector, ev.ext());
        if (!Descriptors.isCode(cd) || Descriptors.dpl(cd) > cpu.cpl()) {
            throw Faults.gp(code, "IDT gate " + ev.vector + " targets a non-code segment or one of higher DPL");
        }
        if (cpu.longMode() && (!Descriptors.longBit(cd) || Descriptors.defaultBig(cd))) {
            throw Faults.gp(code, "IDT gate " + ev.vector + " targets a code segment that is not 64-bit");
        }
        if (!Descriptors.present(cd)) {
            throw Faults.np(code, "interrupt handler code segment not present");
        }
        return cd;
    }

    /** Protected mode (not IA-32e): 8-byte gates, 16- or 32-bit frames. */
    private static void protectedMode(CpuState cpu, MemoryPort mem, Event ev) {
        Gate g = gate(cpu, mem, ev, false);
        long cd = targetCode(cpu, mem, ev, g);
        int cpl = cpu.cpl();
        boolean fromV86 = (cpu.rflags & Flags.VM) != 0;
        int newCpl = Descriptors.conforming(cd) ? cpl : Descriptors.dpl(cd);
        int width = g.wide() ? 4 : 2;
        long image = flagsImage(cpu, ev);
        SegmentRegister newSs = null;
        Stack s;
        if (fromV86) {
            if (Descriptors.conforming(cd) || Descriptors.dpl(cd) != 0 || !g.wide()) {
                throw Faults.gp(Faults.selectorCode(g.selector, ev.ext()),
                        "interrupt from virtual-8086 mode must enter a 32-bit gate to non-conforming ring 0 code");
            }
            newCpl = 0;
        }
        if (newCpl < cpl) {
            long[] ssEsp = new long[2];
            newSs = innerStack(cpu, mem, ev, newCpl, ssEsp);
            s = Stack.switchedTo(cpu, mem, newSs.db ? 4 : 2, newSs.base, ssEsp[1]);
            if (fromV86) {
                s.push(cpu.seg[CpuState.GS].selector, width);
                s.push(cpu.seg[CpuState.FS].selector, width);
                s.push(cpu.seg[CpuState.DS].selector, width);
                s.push(cpu.seg[CpuState.ES].selector, width);
            }
            s.push(cpu.seg[CpuState.SS].selector, width);
            s.push(cpu.gpr[CpuState.RSP], width);
        } else {
            s = Stack.current(cpu, mem);
        }
        s.push(image, width);
        s.push(cpu.seg[CpuState.CS].selector, width);
        s.push(ev.returnRip, width);
        if (ev.hasError) {
            s.push(ev.errorCode, width);
        }
        cd = Descriptors.markAccessed(cpu, mem, g.selector, cd);

        // Commit: nothing below can fault.
        if (newSs != null) {
            cpu.seg[CpuState.SS].copyFrom(newSs);
        }
        s.commit();
        if (fromV86) {
            for (int seg : new int[]{CpuState.GS, CpuState.FS, CpuState.DS, CpuState.ES}) {
                cpu.seg[seg].loadNull(0);
            }
        }
        enterHandler(cpu, mem, g, cd, newCpl, cpl, fromV86);
    }

    /** Long mode: 16-byte gates, 64-bit frames always with SS:RSP, IST, RSP aligned down to 16 bytes. */
    private static void longMode(CpuState cpu, MemoryPort mem, Event ev) {
        Gate g = gate(cpu, mem, ev, true);
        long cd = targetCode(cpu, mem, ev, g);
        int cpl = cpu.cpl();
        int newCpl = Descriptors.conforming(cd) ? cpl : Descriptors.dpl(cd);
        if (!Privilege.canonical(g.offset)) {
            throw Faults.gp(ev.ext(), "non-canonical interrupt handler address");
        }
        long rsp;
        if (g.ist != 0) {
            rsp = readTss64(cpu, mem, ev, TSS64_IST1 + 8L * (g.ist - 1));
        } else if (newCpl < cpl) {
            rsp = readTss64(cpu, mem, ev, TSS64_RSP0 + 8L * newCpl);
        } else {
            rsp = cpu.gpr[CpuState.RSP];
        }
        if (!Privilege.canonical(rsp)) {
            throw Faults.ss(ev.ext(), "non-canonical interrupt stack");
        }
        rsp &= ~0xfL;
        // Pushes to the handler's stack are made at the handler's privilege.
        Stack s = Stack.flat64(cpu, mem, rsp, newCpl != 3);
        s.push(cpu.seg[CpuState.SS].selector, 8);
        s.push(cpu.gpr[CpuState.RSP], 8);
        s.push(flagsImage(cpu, ev), 8);
        s.push(cpu.seg[CpuState.CS].selector, 8);
        s.push(ev.returnRip, 8);
        if (ev.hasError) {
            s.push(ev.errorCode, 8);
        }
        cd = Descriptors.markAccessed(cpu, mem, g.selector, cd);

        if (newCpl != cpl) {
            SegmentLoads.loadNullStack(cpu.seg[CpuState.SS], newCpl, newCpl);
        }
        cpu.gpr[CpuState.RSP] = s.sp;
        enterHandler(cpu, mem, g, cd, newCpl, cpl, false);
    }

    /** Loads CS:RIP of the handler and the RFLAGS changes of delivery; re-derives privilege if it changed. */
    private static void enterHandler(CpuState cpu, MemoryPort mem, Gate g, long cd, int newCpl, int oldCpl,
                                     boolean fromV86) {
        cpu.seg[CpuState.CS].loadDescriptor((g.selector & 0xfffc) | newCpl, cd, 0);
        cpu.rip = g.offset;
        long clear = Flags.TF | Flags.NT | Flags.RF | Flags.VM;
        if (g.interrupt()) {
            clear |= Flags.IF;
        }
        cpu.rflags &= ~clear;
        if (newCpl != oldCpl || fromV86) {
            mem.controlRegistersChanged(cpu);
        }
    }

    /**
     * The inner stack of a protected-mode privilege change: SS:ESP for {@code newCpl} from the TSS (32- or 16-bit
     * layout), checked as the SDM requires (#TS naming the selector, #SS if not present).
     */
    private static SegmentRegister innerStack(CpuState cpu, MemoryPort mem, Event ev, int newCpl, long[] ssEsp) {
        SegmentRegister tr = cpu.tr;
        int trCode = Faults.selectorCode(tr.selector, ev.ext());
        boolean tss32 = tr.type == Descriptors.TSS_AVAILABLE || tr.type == Descriptors.TSS_BUSY;
        long limit = tr.limit & 0xffffffffL;
        long offset = tss32 ? 4 + newCpl * 8L : 2 + newCpl * 4L;
        if (offset + (tss32 ? 5 : 3) > limit) {
            throw Faults.ts(trCode, "TSS too small for the ring " + newCpl + " stack");
        }
        long at = (tr.base + offset) & 0xffffffffL;
        long esp = mem.readSupervisor(at, tss32 ? 4 : 2);
        int ss = (int) mem.readSupervisor((at + (tss32 ? 4 : 2)) & 0xffffffffL, 2);
        if (Descriptors.isNull(ss)) {
            throw Faults.ts(ev.ext(), "null ring " + newCpl + " stack selector in the TSS");
        }
        int ssCode = Faults.selectorCode(ss, ev.ext());
        long sd;
        try {
            sd = Descriptors.read(cpu, mem, ss, ev.ext());
        } catch (GuestException beyondTable) {
            if (beyondTable.vector() != GuestException.GP) {
                throw beyondTable;
            }
            throw Faults.ts(ssCode, "TSS stack selector beyond its table");
        }
        if ((ss & 3) != newCpl || Descriptors.dpl(sd) != newCpl || !Descriptors.writableData(sd)) {
            throw Faults.ts(ssCode, "invalid ring " + newCpl + " stack segment");
        }
        if (!Descriptors.present(sd)) {
            throw Faults.ss(ssCode, "ring " + newCpl + " stack segment not present");
        }
        sd = Descriptors.markAccessed(cpu, mem, ss, sd);
        SegmentRegister s = new SegmentRegister();
        s.loadDescriptor(ss, sd, 0);
        ssEsp[0] = ss;
        ssEsp[1] = esp;
        return s;
    }

    /** An 8-byte field of the 64-bit TSS (RSPn, ISTn), limit checked: #TS naming TR otherwise. */
    private static long readTss64(CpuState cpu, MemoryPort mem, Event ev, long offset) {
        SegmentRegister tr = cpu.tr;
        if (offset + 7 > (tr.limit & 0xffffffffL)) {
            throw Faults.ts(Faults.selectorCode(tr.selector, ev.ext()), "64-bit TSS too small");
        }
        return mem.readSupervisor(tr.base + offset, 8);
    }
}
