package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * Instructions that ask about a selector without loading it: LAR, LSL, VERR, VERW (answer in ZF, never a fault for
 * a bad selector), ARPL, and RDPID. Linux's vDSO reads the CPU number with LSL or RDPID.
 */
final class SegmentQueryOps {
    /** System descriptor types LAR accepts (legacy mode; long mode only LDT, 64-bit TSS and call gate). */
    private static final int LAR_LEGACY = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 9 | 1 << 0xb | 1 << 0xc,
            LAR_LONG = 1 << 2 | 1 << 9 | 1 << 0xb | 1 << 0xc;
    /** System descriptor types LSL accepts: those with a limit. */
    private static final int LSL_LEGACY = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 9 | 1 << 0xb,
            LSL_LONG = 1 << 2 | 1 << 9 | 1 << 0xb;

    private SegmentQueryOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.LAR, false, (cpu, mem, insn) -> larLsl(cpu, mem, insn, true));
        t.add(Mnemonic.LSL, false, (cpu, mem, insn) -> larLsl(cpu, mem, insn, false));
        t.add(Mnemonic.VERR, false, (cpu, mem, insn) -> verify(cpu, mem, insn, false));
        t.add(Mnemonic.VERW, false, (cpu, mem, insn) -> verify(cpu, mem, insn, true));
        t.add(Mnemonic.ARPL, false, SegmentQueryOps::arpl);
        t.add(Mnemonic.RDPID, false, SegmentQueryOps::rdpid);
    }

    /** The descriptor {@code selector} names, or null when it is null or outside its table (no fault). */
    private static Long descriptor(CpuState cpu, MemoryPort mem, int selector) {
        if (Descriptors.isNull(selector)) {
            return null;
        }
        try {
            return Descriptors.read(cpu, mem, selector, 0);
        } catch (GuestException e) {
            if (e.vector() == GuestException.GP) {
                return null;
            }
            throw e;
        }
    }

    /** Data and non-conforming code (and system descriptors) are visible only with DPL >= CPL and >= RPL. */
    private static boolean privileged(CpuState cpu, long d, int selector) {
        if (Descriptors.conforming(d)) {
            return true;
        }
        int dpl = Descriptors.dpl(d);
        return dpl >= cpu.cpl() && dpl >= (selector & 3);
    }

    private static void setZf(CpuState cpu, boolean zf) {
        long f = cpu.getRflags();
        cpu.setRflags(zf ? f | Flags.ZF : f & ~Flags.ZF);
    }

    private static int larLsl(CpuState cpu, MemoryPort mem, Instruction insn, boolean lar) {
        Privilege.requireProtectedMode(cpu, lar ? "LAR" : "LSL");
        Operand.Reg dst = (Operand.Reg) insn.operand(0);
        int selector = (int) Operands.read(cpu, mem, insn.operand(1), 2);
        Long found = descriptor(cpu, mem, selector);
        boolean ok = found != null;
        long d = ok ? found : 0;
        if (ok && Descriptors.isSystem(d)) {
            int allowed = cpu.longMode() ? (lar ? LAR_LONG : LSL_LONG) : (lar ? LAR_LEGACY : LSL_LEGACY);
            ok = (allowed >>> Descriptors.type(d) & 1) != 0;
        }
        ok = ok && privileged(cpu, d, selector);
        if (ok) {
            int size = dst.size();
            long value = lar ? (d >>> 32) & (size == 2 ? 0xff00L : 0x00f0ff00L) : Descriptors.limit(d);
            Operands.writeReg(cpu, dst, size, value);
        }
        setZf(cpu, ok);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** VERR: a readable code or data segment the CPL may see; VERW: a writable data segment it may see. */
    private static int verify(CpuState cpu, MemoryPort mem, Instruction insn, boolean write) {
        Privilege.requireProtectedMode(cpu, write ? "VERW" : "VERR");
        int selector = (int) Operands.read(cpu, mem, insn.operand(0), 2);
        Long found = descriptor(cpu, mem, selector);
        boolean ok = false;
        if (found != null && !Descriptors.isSystem(found)) {
            long d = found;
            boolean kind = write ? Descriptors.writableData(d) : !Descriptors.isCode(d) || Descriptors.readableCode(d);
            ok = kind && privileged(cpu, d, selector);
        }
        setZf(cpu, ok);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** ARPL: raises the destination selector's RPL to the source's (ZF = 1 when it did). */
    private static int arpl(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireProtectedMode(cpu, "ARPL");
        long dst = Operands.read(cpu, mem, insn.operand(0), 2);
        long src = Operands.read(cpu, mem, insn.operand(1), 2);
        boolean raise = (dst & 3) < (src & 3);
        if (raise) {
            Operands.write(cpu, mem, insn.operand(0), 2, (dst & ~3L) | (src & 3));
        }
        setZf(cpu, raise);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** RDPID: IA32_TSC_AUX into a register, when the guest's CPUID has RDPID. */
    private static int rdpid(CpuState cpu, MemoryPort mem, Instruction insn) {
        if (!GuestFeatures.RDPID.in(cpu.config)) {
            throw Faults.ud("RDPID not in the guest's CPUID");
        }
        Operand.Reg dst = (Operand.Reg) insn.operand(0);
        Operands.writeReg(cpu, dst, dst.size(), cpu.tscAux & 0xffffffffL);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }
}
