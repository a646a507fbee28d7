package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.Prefix;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;
import io.jkvm.translator.jit.Trap;

/**
 * Port I/O: IN, OUT, INS, OUTS, with KVM's exit semantics. Every access the CPU is allowed to make exits to
 * userspace ({@code KVM_EXIT_IO}) with RIP still at the instruction; the executor finishes it on the next run with
 * {@link #complete}: IN data goes to AL/AX/EAX or, for INS, to memory, and RIP (and RSI/RDI/RCX for the string
 * forms) moves on. A REP string access carries several elements in one exit ({@code count}), at most a page of
 * memory and at most {@link ExitRequest#data}'s 4 KiB, never crossing a page; the instruction then stays at RIP
 * with RCX reduced until the count runs out.
 *
 * <p>Permission (SDM Vol. 1, 19.5): in protected mode with CPL > IOPL, and always in virtual-8086 mode, every port
 * byte accessed must be clear in the TSS I/O permission bitmap, else #GP(0).
 *
 * <p>KVM's {@code KVM_X86_QUIRK_OUT_7E_INC_RIP} (on by default) is reproduced: a plain OUT to port 0x7E has RIP
 * past the instruction already at the exit. Like KVM, a completion is dropped when the VMM moved RIP meanwhile.
 */
final class IoOps {
    private static final int QUIRK_PORT = 0x7e;

    private IoOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.IN, false, IoOps::in);
        t.add(Mnemonic.OUT, false, IoOps::out);
        t.add(Mnemonic.INS, false, IoOps::ins);
        t.add(Mnemonic.OUTS, false, IoOps::outs);
    }

    // ---------------------------------------------------------------- permission

    /** Raises #GP(0) unless the current mode may access {@code size} bytes at {@code port}. */
    static void checkPermission(CpuState cpu, MemoryPort mem, int port, int size) {
        if (Privilege.realMode(cpu)) {
            return;
        }
        if (!Privilege.v86(cpu) && cpu.cpl() <= Privilege.iopl(cpu)) {
            return;
        }
        if (!bitmapAllows(cpu, mem, port, size)) {
            throw Faults.gp0("I/O port 0x" + Integer.toHexString(port) + " denied at CPL " + cpu.cpl()
                    + " with IOPL " + Privilege.iopl(cpu));
        }
    }

    /**
     * The TSS I/O permission bitmap test: a 32/64-bit TSS whose limit covers the I/O map base (offset 0x66) and
     * both bytes holding the port's bits, and those bits clear. A 16-bit TSS has no bitmap.
     */
    static boolean bitmapAllows(CpuState cpu, MemoryPort mem, int port, int size) {
        var tr = cpu.tr;
        boolean tss32 = (tr.type == Descriptors.TSS_AVAILABLE || tr.type == Descriptors.TSS_BUSY) && !tr.s;
        long limit = tr.limit & 0xffffffffL;
        if (!tss32 || !tr.present || tr.unusable || limit < 0x67) {
            return false;
        }
        long mapBase = mem.readSupervisor(tssAddress(cpu, 0x66), 2);
        long byteOffset = mapBase + (port >>> 3);
        if (byteOffset + 1 > limit) {
            return false;
        }
        long bits = mem.readSupervisor(tssAddress(cpu, byteOffset), 2);
        long mask = ((1L << size) - 1) << (port & 7);
        return (bits & mask) == 0;
    }

    private static long tssAddress(CpuState cpu, long offset) {
        long a = cpu.tr.base + offset;
        return cpu.longMode() ? a : a & 0xffffffffL;
    }

    // ---------------------------------------------------------------- IN / OUT

    private static int portOf(CpuState cpu, Operand o) {
        return o instanceof Operand.Imm imm ? (int) imm.value() & 0xff : (int) cpu.gpr[CpuState.RDX] & 0xffff;
    }

    private static ExitRequest ioExit(CpuState cpu, boolean in, int port, int size, int count) {
        ExitRequest e = cpu.exit;
        e.kind = ExitRequest.Kind.IO;
        e.ioIn = in;
        e.port = port;
        e.size = size;
        e.count = count;
        return e;
    }

    private static int in(CpuState cpu, MemoryPort mem, Instruction insn) {
        int size = insn.operand(0).size();
        int port = portOf(cpu, insn.operand(1));
        checkPermission(cpu, mem, port, size);
        ioExit(cpu, true, port, size, 1);
        cpu.pendingInstruction = insn;
        return Status.EXIT;
    }

    private static int out(CpuState cpu, MemoryPort mem, Instruction insn) {
        int size = insn.operand(1).size();
        int port = portOf(cpu, insn.operand(0));
        checkPermission(cpu, mem, port, size);
        ExitRequest e = ioExit(cpu, false, port, size, 1);
        putLittleEndian(e.data, 0, size, cpu.gpr[CpuState.RAX]);
        if (port == QUIRK_PORT) {
            Operands.retire(cpu, insn);
            cpu.pendingInstruction = null;
        } else {
            cpu.pendingInstruction = insn;
        }
        return Status.EXIT;
    }

    // ---------------------------------------------------------------- INS / OUTS

    /** The REP count of a string instruction: RCX in the address size, or 1 without a REP prefix. */
    static long repCount(CpuState cpu, Instruction insn) {
        if (!insn.has(Prefix.REP) && !insn.has(Prefix.REPNE)) {
            return 1;
        }
        return cpu.gpr[CpuState.RCX] & Flags.mask(insn.addressSize());
    }

    static boolean hasRep(Instruction insn) {
        return insn.has(Prefix.REP) || insn.has(Prefix.REPNE);
    }

    /**
     * How many {@code size}-byte elements, starting at {@code offset} (linear {@code linear}) and moving down when
     * {@code down}, lie wholly inside the page and before the offset wraps at the address size. 0 when the first
     * element straddles a page or the wrap.
     */
    static long elementsInPage(long linear, long offset, long addressMask, int size, boolean down) {
        long inPage = linear & 0xfff;
        if (inPage + size > 0x1000) {
            return 0;
        }
        if (down) {
            return Math.min(inPage / size, offset / size) + 1;
        }
        long toPageEnd = (0x1000 - inPage) / size;
        long toWrap = addressMask == -1 ? Long.MAX_VALUE : (addressMask - offset + 1) / size;
        return Math.min(toPageEnd, toWrap);
    }

    /** Elements one exit carries: what the count, the page and the exit's data buffer allow, at least one. */
    private static int batch(CpuState cpu, long count, long linear, long offset, long addressMask, int size,
                             boolean down) {
        long n = minUnsigned(count, elementsInPage(linear, offset, addressMask, size, down));
        n = Math.min(n, cpu.exit.data.length / size);
        return (int) Math.max(1, n);
    }

    private static int ins(CpuState cpu, MemoryPort mem, Instruction insn) {
        Operand.Mem dst = (Operand.Mem) insn.operand(0);
        int size = dst.size();
        long count = repCount(cpu, insn);
        if (count == 0) {
            Operands.retire(cpu, insn);
            return Status.CONTINUE;
        }
        int port = (int) cpu.gpr[CpuState.RDX] & 0xffff;
        checkPermission(cpu, mem, port, size);
        long mask = Flags.mask(insn.addressSize());
        long di = cpu.gpr[CpuState.RDI] & mask;
        boolean down = (cpu.rflags & Flags.DF) != 0;
        long linear = Operands.linear(cpu, CpuState.ES, di);
        int n = batch(cpu, count, linear, di, mask, size, down);
        // The destination must take the data: fault now, before the device is read.
        long first = down ? linear - (long) (n - 1) * size : linear;
        HostAccess.checkWritable(cpu, mem, first, n * size);
        ioExit(cpu, true, port, size, n);
        cpu.pendingInstruction = insn;
        return Status.EXIT;
    }

    private static int outs(CpuState cpu, MemoryPort mem, Instruction insn) {
        Operand.Mem src = (Operand.Mem) insn.operand(1);
        int size = src.size();
        long count = repCount(cpu, insn);
        if (count == 0) {
            Operands.retire(cpu, insn);
            return Status.CONTINUE;
        }
        int port = (int) cpu.gpr[CpuState.RDX] & 0xffff;
        checkPermission(cpu, mem, port, size);
        long mask = Flags.mask(insn.addressSize());
        int seg = src.segment().ordinal();
        long si = cpu.gpr[CpuState.RSI] & mask;
        boolean down = (cpu.rflags & Flags.DF) != 0;
        int n = batch(cpu, count, Operands.linear(cpu, seg, si), si, mask, size, down);
        byte[] data = cpu.exit.data;
        int read = 0;
        long step = down ? -size : size;
        try {
            for (; read < n; read++) {
                long v = mem.read(Operands.linear(cpu, seg, (si + read * step) & mask), size);
                putLittleEndian(data, read * size, size, v);
            }
        } catch (GuestException | Trap.ExitSignal fault) {
            // A fault (or an MMIO source) past the first element only shortens this exit; the REP resumes there
            // and raises it then.
            if (read == 0) {
                throw fault;
            }
        }
        ioExit(cpu, false, port, size, read);
        cpu.pendingInstruction = insn;
        return Status.EXIT;
    }

    // ---------------------------------------------------------------- completion

    /**
     * Finishes the I/O instruction {@code insn} whose exit userspace has handled: for IN and INS the data is in
     * {@code cpu.exit.data} ({@code size * count} bytes). Moves RIP past the instruction, or leaves it there when
     * a REP count remains. Does nothing when RIP is no longer at the instruction (the VMM moved it).
     *
     * @throws GuestException when INS cannot store the data (the page was unmapped
     *         meanwhile); the elements stored before it are accounted for in RDI and RCX
     */
    static void complete(CpuState cpu, MemoryPort mem, Instruction insn) {
        if (cpu.rip != insn.address()) {
            return;
        }
        ExitRequest e = cpu.exit;
        switch (insn.mnemonic()) {
            case IN -> {
                Operands.writeGpr(cpu, CpuState.RAX, e.size, getLittleEndian(e.data, 0, e.size));
                Operands.retire(cpu, insn);
            }
            case OUT -> Operands.retire(cpu, insn);
            case INS -> {
                long mask = Flags.mask(insn.addressSize());
                long step = (cpu.rflags & Flags.DF) != 0 ? -e.size : e.size;
                long di = cpu.gpr[CpuState.RDI] & mask;
                int done = 0;
                try {
                    for (; done < e.count; done++) {
                        mem.write(Operands.linear(cpu, CpuState.ES, di), e.size,
                                getLittleEndian(e.data, done * e.size, e.size));
                        di = (di + step) & mask;
                    }
                } finally {
                    Operands.writeGpr(cpu, CpuState.RDI, insn.addressSize(), di);
                    finishString(cpu, insn, done);
                }
            }
            case OUTS -> {
                long mask = Flags.mask(insn.addressSize());
                long step = (cpu.rflags & Flags.DF) != 0 ? -e.size : e.size;
                long si = (cpu.gpr[CpuState.RSI] + step * e.count) & mask;
                Operands.writeGpr(cpu, CpuState.RSI, insn.addressSize(), si);
                finishString(cpu, insn, e.count);
            }
            default -> throw new IllegalArgumentException("not an I/O instruction: " + insn);
        }
    }

    /** After {@code done} elements: RCX counts them off under REP; the instruction retires when none remain. */
    private static void finishString(CpuState cpu, Instruction insn, int done) {
        if (!hasRep(insn)) {
            if (done > 0) {
                Operands.retire(cpu, insn);
            }
            return;
        }
        long mask = Flags.mask(insn.addressSize());
        long left = ((cpu.gpr[CpuState.RCX] & mask) - done) & mask;
        Operands.writeGpr(cpu, CpuState.RCX, insn.addressSize(), left);
        if (left == 0) {
            Operands.retire(cpu, insn);
        }
    }

    /** The smaller of two counts read as unsigned (REP counts are unsigned RCX values). */
    static long minUnsigned(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    static void putLittleEndian(byte[] b, int at, int size, long v) {
        for (int i = 0; i < size; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    static long getLittleEndian(byte[] b, int at, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (b[at + i] & 0xffL) << (8 * i);
        }
        return v;
    }
}
