package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.SegmentRegister;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * Far JMP, far CALL, far RET (RETF/LRET) and IRET in real, virtual-8086, protected and long mode: the SDM's
 * pseudo-code for each, with the code and stack segment checks, returns to an outer privilege level (popping SS:RSP
 * and nulling data segment registers the new CPL may not use), and IRETQ's unconditional SS:RSP pop in 64-bit
 * mode. A far transfer's target mode follows the new CS: L=1 in long mode gives 64-bit code (canonical RIP check),
 * otherwise the offset is checked against the CS limit.
 *
 * <p>Not supported: call gates and task switches (far JMP/CALL to a call gate, TSS or task gate raise #GP naming
 * the selector; IRET with NT = 1 outside long mode raises #GP(0)).
 */
final class FarTransfers {
    private FarTransfers() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.JMPF, true, (cpu, mem, insn) -> jumpOrCall(cpu, mem, insn, false));
        t.add(Mnemonic.CALLF, true, (cpu, mem, insn) -> jumpOrCall(cpu, mem, insn, true));
        t.add(Mnemonic.RETF, true, FarTransfers::retf);
        t.add(Mnemonic.IRET, true, FarTransfers::iret);
    }

    // ---------------------------------------------------------------- JMPF / CALLF

    private static int jumpOrCall(CpuState cpu, MemoryPort mem, Instruction insn, boolean call) {
        int selector;
        long offset;
        int size;
        if (insn.operand(0) instanceof Operand.Far far) {
            size = insn.operandSize();
            selector = far.selector();
            offset = far.offset();
        } else {
            // m16:16, m16:32 or m16:64: the offset first, then the selector.
            Operand.Mem m = (Operand.Mem) insn.operand(0);
            size = m.size() - 2;
            long a = Operands.linear(cpu, m);
            offset = mem.read(a, size);
            selector = (int) mem.read(a + size, 2);
        }
        long returnRip = Operands.nextRip(cpu, insn);
        int returnCs = cpu.seg[CpuState.CS].selector;
        Stack s = Stack.current(cpu, mem);

        if (!Privilege.protectedMode(cpu)) {
            if (call) {
                s.push(returnCs, size);
                s.push(returnRip, size);
            }
            s.commit();
            loadRealOrV86Cs(cpu, selector);
            cpu.rip = offset & mask(size);
            cpu.instructions++;
            return Status.CONTINUE;
        }

        int cpl = cpu.cpl();
        if (Descriptors.isNull(selector)) {
            throw Faults.gp0("far " + (call ? "call" : "jump") + " to a null selector");
        }
        long d = Descriptors.read(cpu, mem, selector, 0);
        int code = Faults.selectorCode(selector, 0);
        if (!Descriptors.isCode(d)) {
            throw Faults.gp(code, Descriptors.isSystem(d)
                    ? "far transfers through call gates, TSSs and task gates are not supported"
                    : "far transfer to a data segment");
        }
        if (cpu.longMode() && Descriptors.longBit(d) && Descriptors.defaultBig(d)) {
            throw Faults.gp(code, "code segment with both L and D set");
        }
        if (Descriptors.conforming(d)) {
            if (Descriptors.dpl(d) > cpl) {
                throw Faults.gp(code, "conforming code segment of higher DPL");
            }
        } else if ((selector & 3) > cpl || Descriptors.dpl(d) != cpl) {
            throw Faults.gp(code, "non-conforming code segment of another privilege level");
        }
        if (!Descriptors.present(d)) {
            throw Faults.np(code, "code segment not present");
        }
        long rip = checkedRip(cpu, d, offset & mask(size));
        if (call) {
            s.push(returnCs, size);
            s.push(returnRip, size);
        }
        d = Descriptors.markAccessed(cpu, mem, selector, d);
        s.commit();
        cpu.seg[CpuState.CS].loadDescriptor((selector & 0xfffc) | cpl, d, 0);
        cpu.rip = rip;
        cpu.instructions++;
        return Status.CONTINUE;
    }

    private static long mask(int size) {
        return Flags.mask(size);
    }

    private static void loadRealOrV86Cs(CpuState cpu, int selector) {
        SegmentRegister cs = cpu.seg[CpuState.CS];
        if (Privilege.v86(cpu)) {
            SegmentLoads.loadV86(cs, selector);
            cs.type = 0xb;
        } else {
            cs.loadReal(selector);
        }
    }

    /**
     * The new RIP checked for the target code segment: canonical for 64-bit code, within the limit otherwise.
     */
    private static long checkedRip(CpuState cpu, long codeDescriptor, long rip) {
        if (cpu.longMode() && Descriptors.longBit(codeDescriptor)) {
            if (!Privilege.canonical(rip)) {
                throw Faults.gp0("non-canonical far transfer target");
            }
            return rip;
        }
        if (rip > Descriptors.limit(codeDescriptor)) {
            throw Faults.gp0("far transfer target beyond the code segment limit");
        }
        return rip;
    }

    // ---------------------------------------------------------------- returns

    /**
     * The checks on a return code segment (RETF, IRET): present code segment with RPL >= CPL, DPL = RPL
     * (non-conforming) or DPL <= RPL (conforming). Returns its descriptor.
     */
    private static long returnCode(CpuState cpu, MemoryPort mem, int selector) {
        if (Descriptors.isNull(selector)) {
            throw Faults.gp0("return to a null code selector");
        }
        long d = Descriptors.read(cpu, mem, selector, 0);
        int code = Faults.selectorCode(selector, 0);
        int rpl = selector & 3;
        if (!Descriptors.isCode(d) || rpl < cpu.cpl()) {
            throw Faults.gp(code, "return to a non-code segment or to an inner privilege level");
        }
        if (Descriptors.conforming(d) ? Descriptors.dpl(d) > rpl : Descriptors.dpl(d) != rpl) {
            throw Faults.gp(code, "return code segment DPL does not match its RPL");
        }
        if (cpu.longMode() && Descriptors.longBit(d) && Descriptors.defaultBig(d)) {
            throw Faults.gp(code, "code segment with both L and D set");
        }
        if (!Descriptors.present(d)) {
            throw Faults.np(code, "return code segment not present");
        }
        return d;
    }

    /**
     * The checks on the SS a return to privilege level {@code rpl} pops: a present writable data segment with
     * RPL = DPL = the new CPL; null only when returning to 64-bit code below CPL 3. Returns the loaded register
     * (not installed), or null for a null SS.
     */
    private static SegmentRegister returnStack(CpuState cpu, MemoryPort mem, int selector, int newCpl,
                                               boolean to64) {
        if (Descriptors.isNull(selector)) {
            if (cpu.longMode() && to64 && newCpl != 3) {
                return null;
            }
            throw Faults.gp0("return to a null stack selector");
        }
        long d = Descriptors.read(cpu, mem, selector, 0);
        int code = Faults.selectorCode(selector, 0);
        if ((selector & 3) != newCpl || Descriptors.dpl(d) != newCpl || !Descriptors.writableData(d)) {
            throw Faults.gp(code, "return stack segment of the wrong privilege or type");
        }
        if (!Descriptors.present(d)) {
            throw Faults.ss(code, "return stack segment not present");
        }
        d = Descriptors.markAccessed(cpu, mem, selector, d);
        SegmentRegister ss = new SegmentRegister();
        ss.loadDescriptor(selector, d, 0);
        return ss;
    }

    private static void installStack(CpuState cpu, SegmentRegister ss, int selector, int newCpl) {
        if (ss == null) {
            SegmentLoads.loadNullStack(cpu.seg[CpuState.SS], selector, newCpl);
        } else {
            cpu.seg[CpuState.SS].copyFrom(ss);
        }
    }

    private static int retf(CpuState cpu, MemoryPort mem, Instruction insn) {
        int size = insn.operandSize();
        long release = insn.operands().isEmpty() ? 0 : ((Operand.Imm) insn.operand(0)).value() & 0xffff;
        Stack s = Stack.current(cpu, mem);
        long rip = s.pop(size);
        int selector = (int) s.pop(size) & 0xffff;

        if (!Privilege.protectedMode(cpu)) {
            s.skip(release);
            s.commit();
            loadRealOrV86Cs(cpu, selector);
            cpu.rip = rip & mask(size);
            cpu.instructions++;
            return Status.CONTINUE;
        }

        int cpl = cpu.cpl();
        long d = returnCode(cpu, mem, selector);
        int newCpl = selector & 3;
        boolean to64 = cpu.longMode() && Descriptors.longBit(d);
        rip = checkedRip(cpu, d, to64 ? rip : rip & mask(size));
        if (newCpl == cpl) {
            s.skip(release);
            d = Descriptors.markAccessed(cpu, mem, selector, d);
            s.commit();
            cpu.seg[CpuState.CS].loadDescriptor(selector, d, 0);
            cpu.rip = rip;
            cpu.instructions++;
            return Status.CONTINUE;
        }

        // Return to an outer level: the caller's SS:RSP follow the parameters the immediate releases.
        s.skip(release);
        long newRsp = s.pop(size);
        int ssSelector = (int) s.pop(size) & 0xffff;
        SegmentRegister ss = returnStack(cpu, mem, ssSelector, newCpl, to64);
        d = Descriptors.markAccessed(cpu, mem, selector, d);
        cpu.seg[CpuState.CS].loadDescriptor(selector, d, 0);
        cpu.rip = rip;
        installStack(cpu, ss, ssSelector, newCpl);
        Stack outer = Stack.current(cpu, mem);
        outer.sp = newRsp + release;
        outer.commit();
        SegmentLoads.invalidateForOuterLevel(cpu, newCpl);
        cpu.instructions++;
        mem.controlRegistersChanged(cpu);
        return Status.CONTINUE;
    }

    // ---------------------------------------------------------------- IRET

    /** Bits an IRET of 32 or 64 bits may restore at the same level, before the CPL/IOPL rules. */
    private static final long IRET_BASE = Flags.ARITH | Flags.TF | Flags.DF | Flags.NT;

    private static int iret(CpuState cpu, MemoryPort mem, Instruction insn) {
        int size = insn.operandSize();
        if (Privilege.realMode(cpu)) {
            return iretReal(cpu, mem, insn, size);
        }
        if (Privilege.v86(cpu)) {
            return iretV86(cpu, mem, insn, size);
        }
        if ((cpu.rflags & Flags.NT) != 0) {
            throw Faults.gp0(cpu.longMode() ? "IRET with NT set in long mode"
                    : "IRET with NT set (task return) is not supported");
        }
        int cpl = cpu.cpl();
        Stack s = Stack.current(cpu, mem);
        long rip = s.pop(size);
        int selector = (int) s.pop(size) & 0xffff;
        long flags = s.pop(size);
        if (size == 2) {
            flags = (cpu.getRflags() & ~0xffffL) | (flags & 0xffff);
        }
        if (!cpu.longMode() && (flags & Flags.VM) != 0 && cpl == 0 && size == 4) {
            return iretToV86(cpu, mem, insn, s, rip, selector, flags);
        }
        long d = returnCode(cpu, mem, selector);
        int newCpl = selector & 3;
        boolean to64 = cpu.longMode() && Descriptors.longBit(d);
        boolean popStack = newCpl > cpl || cpu.is64();
        long newRsp = 0;
        int ssSelector = 0;
        if (popStack) {
            newRsp = s.pop(size);
            ssSelector = (int) s.pop(size) & 0xffff;
        }
        rip = checkedRip(cpu, d, to64 ? rip : rip & mask(size));
        SegmentRegister ss = popStack ? returnStack(cpu, mem, ssSelector, newCpl, to64) : null;

        long restore = IRET_BASE;
        if (size > 2) {
            restore |= Flags.RF | Flags.AC | Flags.ID;
        }
        if (cpl <= Privilege.iopl(cpu)) {
            restore |= Flags.IF;
        }
        if (cpl == 0) {
            restore |= Flags.IOPL;
            if (size > 2) {
                restore |= Flags.VIF | Flags.VIP;
            }
        }
        long newFlags = (cpu.getRflags() & ~restore) | (flags & restore);

        d = Descriptors.markAccessed(cpu, mem, selector, d);
        cpu.seg[CpuState.CS].loadDescriptor(selector, d, 0);
        cpu.rip = rip;
        cpu.setRflags(newFlags);
        if (popStack) {
            installStack(cpu, ss, ssSelector, newCpl);
            Operands.writeGpr(cpu, CpuState.RSP, size, newRsp);
        } else {
            s.commit();
        }
        if (newCpl > cpl) {
            SegmentLoads.invalidateForOuterLevel(cpu, newCpl);
        }
        cpu.instructions++;
        if (newCpl != cpl) {
            mem.controlRegistersChanged(cpu);
        }
        return Status.CONTINUE;
    }

    /** Real mode: IP, CS, FLAGS; IRETD keeps VM, VIF and VIP (SDM: AND 257FD5H, OR EFLAGS AND 1A0000H). */
    private static int iretReal(CpuState cpu, MemoryPort mem, Instruction insn, int size) {
        Stack s = Stack.current(cpu, mem);
        long rip = s.pop(size);
        int selector = (int) s.pop(size) & 0xffff;
        long flags = s.pop(size);
        long keep = size == 2 ? ~0xffffL : 0x1a0000L;
        long take = size == 2 ? 0xffffL : 0x257fd5L;
        s.commit();
        cpu.setRflags((cpu.getRflags() & keep) | (flags & take));
        cpu.seg[CpuState.CS].loadReal(selector);
        cpu.rip = rip & mask(size);
        cpu.instructions++;
        return Status.CONTINUE;
    }

    /** Virtual-8086 mode: only with IOPL 3 (no CR4.VME); IOPL, VM, VIF and VIP are kept. */
    private static int iretV86(CpuState cpu, MemoryPort mem, Instruction insn, int size) {
        if (Privilege.iopl(cpu) != 3) {
            throw Faults.gp0("IRET in virtual-8086 mode with IOPL < 3");
        }
        Stack s = Stack.current(cpu, mem);
        long rip = s.pop(size);
        int selector = (int) s.pop(size) & 0xffff;
        long flags = s.pop(size);
        long take = (size == 2 ? 0xffffL : 0x257fd5L) & ~Flags.IOPL;
        s.commit();
        cpu.setRflags((cpu.getRflags() & ~take) | (flags & take));
        loadRealOrV86Cs(cpu, selector);
        cpu.rip = rip & mask(size);
        cpu.instructions++;
        return Status.CONTINUE;
    }

    /** IRETD at CPL 0 with VM set in the popped EFLAGS: ESP, SS, ES, DS, FS, GS follow; CPL becomes 3. */
    private static int iretToV86(CpuState cpu, MemoryPort mem, Instruction insn, Stack s, long rip, int cs,
                                 long flags) {
        long esp = s.pop(4);
        int ss = (int) s.pop(4) & 0xffff;
        int es = (int) s.pop(4) & 0xffff;
        int ds = (int) s.pop(4) & 0xffff;
        int fs = (int) s.pop(4) & 0xffff;
        int gs = (int) s.pop(4) & 0xffff;
        cpu.setRflags(flags);
        SegmentLoads.loadV86(cpu.seg[CpuState.CS], cs);
        cpu.seg[CpuState.CS].type = 0xb;
        SegmentLoads.loadV86(cpu.seg[CpuState.SS], ss);
        SegmentLoads.loadV86(cpu.seg[CpuState.ES], es);
        SegmentLoads.loadV86(cpu.seg[CpuState.DS], ds);
        SegmentLoads.loadV86(cpu.seg[CpuState.FS], fs);
        SegmentLoads.loadV86(cpu.seg[CpuState.GS], gs);
        cpu.gpr[CpuState.RSP] = esp & 0xffffffffL;
        cpu.rip = rip & 0xffff;
        cpu.instructions++;
        mem.controlRegistersChanged(cpu);
        return Status.CONTINUE;
    }
}
