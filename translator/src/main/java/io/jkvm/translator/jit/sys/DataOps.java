package io.jkvm.translator.jit.sys;

import io.jkvm.mmu.Access;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.jit.Mem;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Rare data instructions kept out of the inline translator: XLAT, RCL/RCR (rotate through carry) and
 * CMPXCHG8B/CMPXCHG16B.
 */
final class DataOps {
    /** Atomic access to aligned host longs, for CMPXCHG8B on RAM shared with other vcpus. */
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private DataOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.XLAT, false, DataOps::xlat);
        t.add(Mnemonic.RCL, false, (cpu, mem, insn) -> rotateThroughCarry(cpu, mem, insn, true));
        t.add(Mnemonic.RCR, false, (cpu, mem, insn) -> rotateThroughCarry(cpu, mem, insn, false));
        t.add(Mnemonic.CMPXCHG8B, false, DataOps::cmpxchg8b);
        t.add(Mnemonic.CMPXCHG16B, false, DataOps::cmpxchg16b);
    }

    /**
     * The segment of an instruction whose operands do not show it (XLAT): DS unless a segment-override prefix
     * says otherwise (in 64-bit mode only FS and GS overrides count).
     */
    static int implicitDataSegment(CpuState cpu, Instruction insn) {
        int seg = CpuState.DS;
        for (byte b : insn.bytes()) {
            int p = b & 0xff;
            int s = switch (p) {
                case 0x26 -> CpuState.ES;
                case 0x2e -> CpuState.CS;
                case 0x36 -> CpuState.SS;
                case 0x3e -> CpuState.DS;
                case 0x64 -> CpuState.FS;
                case 0x65 -> CpuState.GS;
                case 0x66, 0x67, 0xf0, 0xf2, 0xf3 -> -1;
                default -> -2;
            };
            if (s == -2 && !(cpu.is64() && (p & 0xf0) == 0x40)) {
                break;
            }
            if (s >= 0 && (!cpu.is64() || s >= CpuState.FS)) {
                seg = s;
            }
        }
        return seg;
    }

    /** XLAT: AL = [seg:rBX + AL] at the address size. */
    private static int xlat(CpuState cpu, MemoryPort mem, Instruction insn) {
        long offset = (cpu.gpr[CpuState.RBX] + (cpu.gpr[CpuState.RAX] & 0xff)) & Flags.mask(insn.addressSize());
        long v = mem.read(Operands.linear(cpu, implicitDataSegment(cpu, insn), offset), 1);
        Operands.writeGpr(cpu, CpuState.RAX, 1, v);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /**
     * RCL/RCR: rotate the operand and CF together, a (width + 1)-bit rotation. The count is masked to 5 bits (6
     * with a 64-bit operand), then taken modulo 9 and 17 for byte and word operands. A zero count changes no flag
     * and no value (a 32-bit register destination is still zero-extended). CF is the last bit rotated out; OF is
     * defined for a count of 1 and computed the same way otherwise (RCL: MSB of the result XOR CF; RCR: XOR of the
     * two most significant result bits).
     */
    private static int rotateThroughCarry(CpuState cpu, MemoryPort mem, Instruction insn, boolean left) {
        int size = insn.operandSize();
        Operand dst = insn.operand(0);
        long raw = Operands.read(cpu, mem, insn.operand(1), 1);
        int count = (int) raw & (size == 8 ? 0x3f : 0x1f);
        if (size == 1) {
            count %= 9;
        } else if (size == 2) {
            count %= 17;
        }
        long value = Operands.readForUpdate(cpu, mem, dst, size);
        if (count == 0) {
            // Nothing rotates and no flag changes, but a 32-bit register is still written, which clears its upper
            // half (what the host CPU does; the differential sweep caught it).
            if (dst instanceof Operand.Reg && size == 4) {
                Operands.write(cpu, mem, dst, size, value);
            }
            Operands.retire(cpu, insn);
            return Status.CONTINUE;
        }
        int bits = size * 8;
        long m = Flags.mask(size);
        long rflags = cpu.getRflags();
        long cf = rflags & Flags.CF;
        long v = value & m;
        for (int i = 0; i < count; i++) {
            long out;
            if (left) {
                out = (v >>> (bits - 1)) & 1;
                v = ((v << 1) | cf) & m;
            } else {
                out = v & 1;
                v = (v >>> 1) | (cf << (bits - 1));
            }
            cf = out;
        }
        long msb = (v >>> (bits - 1)) & 1;
        long of = left ? msb ^ cf : msb ^ ((v >>> (bits - 2)) & 1);
        Operands.write(cpu, mem, dst, size, v);
        cpu.setRflags((rflags & ~(Flags.CF | Flags.OF)) | cf | (of != 0 ? Flags.OF : 0));
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /**
     * CMPXCHG8B m64: compare EDX:EAX with m64; equal: ZF = 1 and m64 = ECX:EBX; else ZF = 0 and EDX:EAX = m64
     * (the CPU writes the old value back then, so a read-only destination faults either way). On aligned RAM the
     * exchange is one host compare-and-swap, atomic with respect to other vcpus as LOCK CMPXCHG8B requires.
     */
    private static int cmpxchg8b(CpuState cpu, MemoryPort mem, Instruction insn) {
        long a = Operands.linear(cpu, (Operand.Mem) insn.operand(0));
        long expected = (cpu.gpr[CpuState.RDX] << 32) | (cpu.gpr[CpuState.RAX] & 0xffffffffL);
        long replacement = (cpu.gpr[CpuState.RCX] << 32) | (cpu.gpr[CpuState.RBX] & 0xffffffffL);
        long old;
        long host = (a & 7) == 0 ? HostAccess.lookup(mem, a, Access.WRITE) : HostAccess.MISS;
        if (host != HostAccess.MISS) {
            old = (long) LONG.compareAndExchange(Mem.ALL, host, expected, replacement);
        } else {
            old = mem.readForUpdate(a, 8);
            mem.write(a, 8, old == expected ? replacement : old);
        }
        boolean equal = old == expected;
        if (!equal) {
            cpu.gpr[CpuState.RAX] = old & 0xffffffffL;
            cpu.gpr[CpuState.RDX] = old >>> 32;
        }
        setZf(cpu, equal);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /**
     * CMPXCHG16B m128 (#GP(0) unless 16-byte aligned): RDX:RAX against m128, RCX:RBX stored when equal. Not atomic
     * with respect to other vcpus: the JVM has no 128-bit compare-and-swap on native memory.
     */
    private static int cmpxchg16b(CpuState cpu, MemoryPort mem, Instruction insn) {
        long a = Operands.linear(cpu, (Operand.Mem) insn.operand(0));
        if ((a & 15) != 0) {
            throw Faults.gp0("CMPXCHG16B operand not 16-byte aligned");
        }
        long lo = mem.readForUpdate(a, 8);
        long hi = mem.readForUpdate(a + 8, 8);
        boolean equal = lo == cpu.gpr[CpuState.RAX] && hi == cpu.gpr[CpuState.RDX];
        long newLo = equal ? cpu.gpr[CpuState.RBX] : lo;
        long newHi = equal ? cpu.gpr[CpuState.RCX] : hi;
        mem.write(a + 8, 8, newHi);
        mem.write(a, 8, newLo);
        if (!equal) {
            cpu.gpr[CpuState.RAX] = lo;
            cpu.gpr[CpuState.RDX] = hi;
        }
        setZf(cpu, equal);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static void setZf(CpuState cpu, boolean zf) {
        long f = cpu.getRflags();
        cpu.setRflags(zf ? f | Flags.ZF : f & ~Flags.ZF);
    }
}
