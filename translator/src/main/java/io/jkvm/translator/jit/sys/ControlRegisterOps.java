package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.decoder.Operand;
import io.jkvm.translator.decoder.RegClass;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

/**
 * MOV to and from CR0, CR2, CR3, CR4, CR8 and DR0-DR7, LMSW, SMSW, CLTS, INVLPG, WBINVD and INVD, with the checks
 * KVM makes ({@code kvm_set_cr0/3/4/8}, {@code kvm_set_dr} in {@code arch/x86/kvm/x86.c}): reserved bits raise
 * #GP(0), except CR0 bits 31:0 outside the architectural set, which are ignored. Turning CR0.PG on with EFER.LME
 * set enters long mode (EFER.LMA = 1), turning it off leaves it. Every change reaches the MMU through
 * {@link MemoryPort#controlRegistersChanged}, which also loads the PAE PDPTEs and raises #GP(0) when they are
 * invalid; the registers are then restored, so the instruction faults with nothing changed.
 *
 * <p>Debug registers are kept (DR6/DR7 with KVM's fixed bits) but do not cause debug exceptions; DR7.GD is ignored.
 */
final class ControlRegisterOps {
    /** CR0 bits that exist; writes to others are dropped (KVM: "reserved bits are ignored, even on Intel"). */
    static final long CR0_DEFINED = CpuState.CR0_PE | CpuState.CR0_MP | CpuState.CR0_EM | CpuState.CR0_TS
            | CpuState.CR0_ET | CpuState.CR0_NE | CpuState.CR0_WP | CpuState.CR0_AM | CpuState.CR0_NW
            | CpuState.CR0_CD | CpuState.CR0_PG;
    static final long CR4_PCIDE = 1L << 17;
    static final long CR4_LA57 = 1L << 12;
    static final long CR3_PCID_NOFLUSH = 1L << 63;
    static final long DR6_FIXED = 0xffff0ff0L, DR6_VOLATILE = 0x0001e80fL;
    static final long DR7_FIXED = 0x400, DR7_VOLATILE = 0xffff2bffL;

    /**
     * CR4 bits jkvm supports, each with the guest CPUID feature KVM requires for it (null: always allowed). Bits
     * not listed (VMXE, SMXE, LA57, PKE, CET, PKS, LAM ...) are reserved: jkvm implements neither nested
     * virtualization nor 5-level paging nor protection keys.
     */
    private record Cr4Bit(long bit, GuestFeatures requires) {
    }

    private static final Cr4Bit[] CR4_BITS = {
            new Cr4Bit(CpuState.CR4_VME, null), new Cr4Bit(CpuState.CR4_PVI, null),
            new Cr4Bit(CpuState.CR4_TSD, null), new Cr4Bit(CpuState.CR4_DE, null),
            new Cr4Bit(CpuState.CR4_PSE, null), new Cr4Bit(CpuState.CR4_PAE, null),
            new Cr4Bit(CpuState.CR4_MCE, null), new Cr4Bit(CpuState.CR4_PGE, null),
            new Cr4Bit(CpuState.CR4_PCE, null), new Cr4Bit(CpuState.CR4_OSFXSR, null),
            new Cr4Bit(CpuState.CR4_OSXMMEXCPT, null), new Cr4Bit(CpuState.CR4_UMIP, GuestFeatures.UMIP),
            new Cr4Bit(CpuState.CR4_FSGSBASE, GuestFeatures.FSGSBASE), new Cr4Bit(CR4_PCIDE, GuestFeatures.PCID),
            new Cr4Bit(CpuState.CR4_OSXSAVE, GuestFeatures.XSAVE), new Cr4Bit(CpuState.CR4_SMEP, GuestFeatures.SMEP),
            new Cr4Bit(CpuState.CR4_SMAP, GuestFeatures.SMAP),
    };

    private ControlRegisterOps() {
    }

    static void register(OpTable t) {
        t.add(Mnemonic.MOV_CR, true, ControlRegisterOps::movCr);
        t.add(Mnemonic.MOV_DR, false, ControlRegisterOps::movDr);
        t.add(Mnemonic.LMSW, true, ControlRegisterOps::lmsw);
        t.add(Mnemonic.SMSW, false, ControlRegisterOps::smsw);
        t.add(Mnemonic.CLTS, true, ControlRegisterOps::clts);
        t.add(Mnemonic.INVLPG, true, ControlRegisterOps::invlpg);
        t.add(Mnemonic.WBINVD, false, ControlRegisterOps::cacheFlush);
        t.add(Mnemonic.INVD, false, ControlRegisterOps::cacheFlush);
    }

    // ---------------------------------------------------------------- MOV CRn

    private static int movCr(CpuState cpu, MemoryPort mem, Instruction insn) {
        boolean write = insn.operand(0) instanceof Operand.Reg r && r.regClass() == RegClass.CONTROL;
        Operand.Reg cr = (Operand.Reg) insn.operand(write ? 0 : 1);
        Operand.Reg gpr = (Operand.Reg) insn.operand(write ? 1 : 0);
        int n = cr.number();
        if (n != 0 && n != 2 && n != 3 && n != 4 && !(n == 8 && cpu.is64())) {
            throw Faults.ud("MOV to/from CR" + n);
        }
        Privilege.requireCpl0(cpu, "MOV CR" + n);
        int size = cpu.is64() ? 8 : 4;
        if (!write) {
            long v = switch (n) {
                case 0 -> cpu.cr0;
                case 2 -> cpu.cr2;
                case 3 -> cpu.cr3;
                case 4 -> cpu.cr4;
                default -> cpu.cr8;
            };
            Operands.writeGpr(cpu, gpr.number(), size, v);
        } else {
            long v = Operands.readReg(cpu, gpr, size);
            switch (n) {
                case 0 -> setCr0(cpu, mem, v);
                case 2 -> cpu.cr2 = v;
                case 3 -> setCr3(cpu, mem, v);
                case 4 -> setCr4(cpu, mem, v);
                default -> setCr8(cpu, v);
            }
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** MOV to CR0 (also LMSW and CLTS): KVM's {@code kvm_set_cr0}. */
    static void setCr0(CpuState cpu, MemoryPort mem, long value) {
        if ((value >>> 32) != 0) {
            throw Faults.gp0("CR0 bits 63:32 set");
        }
        if ((value & CpuState.CR0_NW) != 0 && (value & CpuState.CR0_CD) == 0) {
            throw Faults.gp0("CR0.NW without CR0.CD");
        }
        if ((value & CpuState.CR0_PG) != 0 && (value & CpuState.CR0_PE) == 0) {
            throw Faults.gp0("CR0.PG without CR0.PE");
        }
        value = (value | CpuState.CR0_ET) & CR0_DEFINED;
        boolean pagingBefore = (cpu.cr0 & CpuState.CR0_PG) != 0;
        boolean pagingAfter = (value & CpuState.CR0_PG) != 0;
        boolean lme = (cpu.efer & CpuState.EFER_LME) != 0;
        if (lme && !pagingBefore && pagingAfter) {
            if ((cpu.cr4 & CpuState.CR4_PAE) == 0) {
                throw Faults.gp0("entering long mode without CR4.PAE");
            }
            if (cpu.seg[CpuState.CS].l) {
                throw Faults.gp0("entering long mode with CS.L set");
            }
        }
        if (!pagingAfter && (cpu.is64() || (cpu.cr4 & CR4_PCIDE) != 0)) {
            throw Faults.gp0("clearing CR0.PG in 64-bit mode or with CR4.PCIDE");
        }
        long efer = cpu.efer;
        if (lme) {
            efer = pagingAfter ? efer | CpuState.EFER_LMA : efer & ~CpuState.EFER_LMA;
        }
        apply(cpu, mem, value, cpu.cr3, cpu.cr4, efer);
    }

    /** MOV to CR3: bit 63 is the PCID no-flush hint under CR4.PCIDE, not stored; bits past MAXPHYADDR #GP. */
    static void setCr3(CpuState cpu, MemoryPort mem, long value) {
        if (cpu.is64() && (cpu.cr4 & CR4_PCIDE) != 0) {
            value &= ~CR3_PCID_NOFLUSH;
        }
        int maxPhys = GuestFeatures.maxPhysAddrBits(cpu.config);
        if (maxPhys < 64 && (value >>> maxPhys) != 0) {
            throw Faults.gp0("CR3 beyond MAXPHYADDR");
        }
        apply(cpu, mem, cpu.cr0, value, cpu.cr4, cpu.efer);
    }

    /** MOV to CR4: KVM's {@code kvm_set_cr4}. */
    static void setCr4(CpuState cpu, MemoryPort mem, long value) {
        long allowed = 0;
        for (Cr4Bit b : CR4_BITS) {
            if (b.requires == null || b.requires.in(cpu.config)) {
                allowed |= b.bit;
            }
        }
        if ((value & ~allowed) != 0) {
            throw Faults.gp0("reserved CR4 bits 0x" + Long.toHexString(value & ~allowed));
        }
        if (cpu.longMode()) {
            if ((value & CpuState.CR4_PAE) == 0) {
                throw Faults.gp0("clearing CR4.PAE in long mode");
            }
            if (((value ^ cpu.cr4) & CR4_LA57) != 0) {
                throw Faults.gp0("changing CR4.LA57 in long mode");
            }
        }
        if ((value & CR4_PCIDE) != 0 && (cpu.cr4 & CR4_PCIDE) == 0
                && ((cpu.cr3 & 0xfff) != 0 || !cpu.longMode())) {
            throw Faults.gp0("enabling CR4.PCIDE outside long mode or with CR3[11:0] != 0");
        }
        apply(cpu, mem, cpu.cr0, cpu.cr3, value, cpu.efer);
    }

    static void setCr8(CpuState cpu, long value) {
        if ((value & ~0xfL) != 0) {
            throw Faults.gp0("reserved CR8 bits");
        }
        cpu.cr8 = value;
    }

    /**
     * Installs new paging registers and tells the MMU. If the MMU refuses them (invalid PAE PDPTEs) the old values
     * come back and the #GP propagates, so the instruction changes nothing.
     */
    private static void apply(CpuState cpu, MemoryPort mem, long cr0, long cr3, long cr4, long efer) {
        long oldCr0 = cpu.cr0, oldCr3 = cpu.cr3, oldCr4 = cpu.cr4, oldEfer = cpu.efer;
        cpu.cr0 = cr0;
        cpu.cr3 = cr3;
        cpu.cr4 = cr4;
        cpu.efer = efer;
        try {
            mem.controlRegistersChanged(cpu);
        } catch (GuestException e) {
            cpu.cr0 = oldCr0;
            cpu.cr3 = oldCr3;
            cpu.cr4 = oldCr4;
            cpu.efer = oldEfer;
            mem.controlRegistersChanged(cpu);
            throw e;
        }
    }

    // ---------------------------------------------------------------- MOV DRn

    private static int movDr(CpuState cpu, MemoryPort mem, Instruction insn) {
        boolean write = insn.operand(0) instanceof Operand.Reg r && r.regClass() == RegClass.DEBUG;
        Operand.Reg dr = (Operand.Reg) insn.operand(write ? 0 : 1);
        Operand.Reg gpr = (Operand.Reg) insn.operand(write ? 1 : 0);
        int n = dr.number();
        if (n > 7) {
            throw Faults.ud("MOV DR" + n);
        }
        Privilege.requireCpl0(cpu, "MOV DR" + n);
        if (n == 4 || n == 5) {
            // DR4/DR5 alias DR6/DR7 unless CR4.DE makes them undefined.
            if ((cpu.cr4 & CpuState.CR4_DE) != 0) {
                throw Faults.ud("MOV DR" + n + " with CR4.DE");
            }
            n += 2;
        }
        int size = cpu.is64() ? 8 : 4;
        if (!write) {
            long v = n < 4 ? cpu.dr[n] : n == 6 ? cpu.dr6 : cpu.dr7;
            Operands.writeGpr(cpu, gpr.number(), size, v);
        } else {
            long v = Operands.readReg(cpu, gpr, size);
            if (n < 4) {
                cpu.dr[n] = v;
            } else {
                if ((v >>> 32) != 0) {
                    throw Faults.gp0("DR" + n + " bits 63:32 set");
                }
                if (n == 6) {
                    cpu.dr6 = (v & DR6_VOLATILE) | DR6_FIXED;
                } else {
                    cpu.dr7 = (v & DR7_VOLATILE) | DR7_FIXED;
                }
            }
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    // ---------------------------------------------------------------- CR0 shortcuts, TLB, caches

    /** LMSW: loads CR0 bits 3:0 (PE, MP, EM, TS); it can set PE but never clear it. */
    private static int lmsw(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireCpl0(cpu, "LMSW");
        long msw = Operands.read(cpu, mem, insn.operand(0), 2);
        setCr0(cpu, mem, (cpu.cr0 & ~0xeL) | (msw & 0xf));
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** SMSW: CR0 into a register (operand size) or its low 16 bits into memory; privileged under CR4.UMIP. */
    private static int smsw(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.checkUmip(cpu, "SMSW");
        Operand dst = insn.operand(0);
        int size = dst instanceof Operand.Mem ? 2 : insn.operandSize();
        Operands.write(cpu, mem, dst, size, cpu.cr0);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int clts(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireCpl0(cpu, "CLTS");
        setCr0(cpu, mem, cpu.cr0 & ~CpuState.CR0_TS);
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** INVLPG: drops the page's translation; a non-canonical address is a no-op. */
    private static int invlpg(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireCpl0(cpu, "INVLPG");
        long linear = Operands.linear(cpu, (Operand.Mem) insn.operand(0));
        if (!cpu.longMode() || Privilege.canonical(linear)) {
            mem.invalidatePage(linear);
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** WBINVD/INVD: jkvm has no caches to write back or drop; KVM skips them the same way. */
    private static int cacheFlush(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireCpl0(cpu, insn.mnemonic().name());
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }
}
