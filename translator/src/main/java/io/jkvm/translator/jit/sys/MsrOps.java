package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Mnemonic;
import io.jkvm.translator.jit.MemoryPort;
import io.jkvm.translator.jit.Status;

import java.util.HashMap;
import java.util.Map;

/**
 * RDMSR, WRMSR and the MSRs the CPU model keeps, as one table: each MSR's index, name, how it reads and how a write
 * is checked and stored. The same table answers the guest (RDMSR/WRMSR), {@code KVM_GET_MSR_INDEX_LIST},
 * {@code KVM_GET_MSRS} and {@code KVM_SET_MSRS} ("host" accesses, which KVM checks less: read-only values such as
 * the microcode revision can be set, CPUID gating does not apply).
 *
 * <p>Validity rules are KVM's ({@code kvm_set_msr_common}, {@code set_efer}, {@code kvm_apic_set_base},
 * {@code kvm_pat_valid}, {@code kvm_mtrr_valid}). An MSR outside the table raises #GP(0) unless userspace asked for
 * such accesses ({@code KVM_CAP_X86_USER_SPACE_MSR} with {@code KVM_MSR_EXIT_REASON_UNKNOWN}); a refused write or a
 * read of an MSR the guest's CPUID hides raises #GP(0) unless {@code KVM_MSR_EXIT_REASON_INVAL} is enabled. Such
 * exits leave RIP at the instruction; {@link #completeRead}/{@link #completeWrite} finish it, or raise #GP(0) when
 * userspace set {@code msr.error}. The exit reason travels in {@code cpu.exit.suberror}.
 *
 * <p>Supported: IA32_TSC, PLATFORM_ID and EBL_CR_POWERON (read as 0), APIC_BASE, BIOS_SIGN_ID, MTRRCAP, the
 * variable and fixed MTRRs and MTRR_DEF_TYPE, SYSENTER_CS/ESP/EIP, MCG_CAP (0), MCG_STATUS, MISC_ENABLE, DEBUGCTL
 * (reads 0; BTF/LBR writes ignored as KVM without LBR virtualization does), PAT, EFER, STAR, LSTAR, CSTAR, SFMASK,
 * FS_BASE, GS_BASE, KERNEL_GS_BASE and TSC_AUX. KVM's paravirtual MSRs (kvmclock ...) are not.
 */
public final class MsrOps {
    /** {@code KVM_MSR_EXIT_REASON_*} ({@code include/uapi/linux/kvm.h}). */
    public static final int REASON_INVAL = 1, REASON_UNKNOWN = 1 << 1;

    public static final int IA32_TSC = 0x10, IA32_APIC_BASE = 0x1b, IA32_BIOS_SIGN_ID = 0x8b, IA32_MTRRCAP = 0xfe,
            IA32_SYSENTER_CS = 0x174, IA32_SYSENTER_ESP = 0x175, IA32_SYSENTER_EIP = 0x176, IA32_MISC_ENABLE = 0x1a0,
            IA32_PAT = 0x277, IA32_MTRR_DEF_TYPE = 0x2ff, IA32_EFER = 0xc0000080, IA32_STAR = 0xc0000081,
            IA32_LSTAR = 0xc0000082, IA32_CSTAR = 0xc0000083, IA32_FMASK = 0xc0000084, IA32_FS_BASE = 0xc0000100,
            IA32_GS_BASE = 0xc0000101, IA32_KERNEL_GS_BASE = 0xc0000102, IA32_TSC_AUX = 0xc0000103;

    private static final long EFER_ALLOWED = CpuState.EFER_SCE | CpuState.EFER_LME | CpuState.EFER_LMA
            | CpuState.EFER_NXE;
    /** MISC_ENABLE: PEBS/BTS unavailable are read-only to the guest; EMON writes are ignored. */
    private static final long MISC_PMU_RO = (1L << 11) | (1L << 12), MISC_EMON = 1L << 7;
    /** KVM's MTRRCAP: write-combining supported, fixed ranges supported, 8 variable ranges. */
    private static final long MTRRCAP = 0x500 | 8;
    private static final int[] FIXED_MTRRS = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e,
            0x26f};

    /** How the CPU model reads an MSR. */
    @FunctionalInterface
    interface Reader {
        long read(CpuState cpu);
    }

    /**
     * How it checks and stores a write: false refuses the value (#GP). {@code mem} is null for host writes, which
     * must not touch the MMU (the VMM re-syncs the vcpu after {@code KVM_SET_MSRS}).
     */
    @FunctionalInterface
    interface Writer {
        boolean write(CpuState cpu, MemoryPort mem, long value, boolean host);
    }

    /** When the guest may access the MSR at all (KVM gates some on the guest's CPUID); null: always. */
    @FunctionalInterface
    interface Gate {
        boolean open(CpuState cpu);
    }

    record Msr(int index, String name, Reader reader, Writer writer, Gate gate) {
    }

    private static final Map<Integer, Msr> TABLE = new HashMap<>();
    private static final int[] INDICES;

    static {
        add(IA32_TSC, "IA32_TSC", TimeStampCounter::read, (c, m, v, host) -> {
            TimeStampCounter.write(c, v);
            return true;
        });
        add(0x17, "IA32_PLATFORM_ID", c -> 0, MsrOps::readOnly);
        add(IA32_APIC_BASE, "IA32_APIC_BASE", c -> c.apicBase, MsrOps::setApicBase);
        add(0x2a, "IA32_EBL_CR_POWERON", c -> 0, MsrOps::readOnly);
        add(IA32_BIOS_SIGN_ID, "IA32_BIOS_SIGN_ID", c -> c.microcodeRevision, (c, m, v, host) -> {
            // The guest writes 0 here before CPUID to latch the revision; only the VMM can change it.
            if (host) {
                c.microcodeRevision = v;
            }
            return true;
        });
        add(IA32_MTRRCAP, "IA32_MTRRCAP", c -> MTRRCAP, MsrOps::readOnly);
        add(IA32_SYSENTER_CS, "IA32_SYSENTER_CS", c -> c.sysenterCs, (c, m, v, host) -> {
            c.sysenterCs = v & 0xffffffffL;
            return true;
        });
        add(IA32_SYSENTER_ESP, "IA32_SYSENTER_ESP", c -> c.sysenterEsp, (c, m, v, host) -> {
            c.sysenterEsp = v << 16 >> 16;
            return true;
        });
        add(IA32_SYSENTER_EIP, "IA32_SYSENTER_EIP", c -> c.sysenterEip, (c, m, v, host) -> {
            c.sysenterEip = v << 16 >> 16;
            return true;
        });
        add(0x179, "IA32_MCG_CAP", c -> 0, MsrOps::readOnly);
        add(0x17a, "IA32_MCG_STATUS", c -> c.mcgStatus, (c, m, v, host) -> {
            c.mcgStatus = v;
            return true;
        });
        add(IA32_MISC_ENABLE, "IA32_MISC_ENABLE", c -> c.miscEnable, MsrOps::setMiscEnable);
        add(0x1d9, "IA32_DEBUGCTL", c -> 0, (c, m, v, host) -> (v & ~3L) == 0);
        for (int i = 0; i < 16; i++) {
            int slot = i;
            add(0x200 + i, (i % 2 == 0 ? "IA32_MTRR_PHYSBASE" : "IA32_MTRR_PHYSMASK") + i / 2,
                    c -> c.mtrrVariable[slot], (c, m, v, host) -> setVariableMtrr(c, slot, v));
        }
        for (int i = 0; i < FIXED_MTRRS.length; i++) {
            int slot = i;
            add(FIXED_MTRRS[i], "IA32_MTRR_FIX_" + Integer.toHexString(FIXED_MTRRS[i]), c -> c.mtrrFixed[slot],
                    (c, m, v, host) -> {
                        for (int b = 0; b < 8; b++) {
                            if (!validMtrrType((int) (v >>> (8 * b)) & 0xff)) {
                                return false;
                            }
                        }
                        c.mtrrFixed[slot] = v;
                        return true;
                    });
        }
        add(IA32_PAT, "IA32_PAT", c -> c.pat, (c, m, v, host) -> {
            if (!validPat(v)) {
                return false;
            }
            c.pat = v;
            return true;
        });
        add(IA32_MTRR_DEF_TYPE, "IA32_MTRR_DEF_TYPE", c -> c.mtrrDefType, (c, m, v, host) -> {
            if ((v & ~0xcffL) != 0 || !validMtrrType((int) v & 0xff)) {
                return false;
            }
            c.mtrrDefType = v;
            return true;
        });
        add(IA32_EFER, "IA32_EFER", c -> c.efer, MsrOps::setEfer);
        add(IA32_STAR, "IA32_STAR", c -> c.star, (c, m, v, host) -> {
            c.star = v;
            return true;
        });
        add(IA32_LSTAR, "IA32_LSTAR", c -> c.lstar, canonical((c, v) -> c.lstar = v));
        add(IA32_CSTAR, "IA32_CSTAR", c -> c.cstar, canonical((c, v) -> c.cstar = v));
        add(IA32_FMASK, "IA32_FMASK", c -> c.sfmask, (c, m, v, host) -> {
            if ((v >>> 32) != 0) {
                return false;
            }
            c.sfmask = v;
            return true;
        });
        add(IA32_FS_BASE, "IA32_FS_BASE", c -> c.seg[CpuState.FS].base,
                canonical((c, v) -> c.seg[CpuState.FS].base = v));
        add(IA32_GS_BASE, "IA32_GS_BASE", c -> c.seg[CpuState.GS].base,
                canonical((c, v) -> c.seg[CpuState.GS].base = v));
        add(IA32_KERNEL_GS_BASE, "IA32_KERNEL_GS_BASE", c -> c.kernelGsBase,
                canonical((c, v) -> c.kernelGsBase = v));
        TABLE.put(IA32_TSC_AUX, new Msr(IA32_TSC_AUX, "IA32_TSC_AUX", c -> c.tscAux, (c, m, v, host) -> {
            // Intel-compatible CPUs keep bits 63:32 reserved.
            if ((v >>> 32) != 0) {
                return false;
            }
            c.tscAux = v;
            return true;
        }, c -> GuestFeatures.RDTSCP.in(c.config) || GuestFeatures.RDPID.in(c.config)));
        INDICES = TABLE.keySet().stream().sorted(Integer::compareUnsigned).mapToInt(Integer::intValue).toArray();
    }

    private MsrOps() {
    }

    private static void add(int index, String name, Reader reader, Writer writer) {
        TABLE.put(index, new Msr(index, name, reader, writer, null));
    }

    private static boolean readOnly(CpuState cpu, MemoryPort mem, long value, boolean host) {
        return false;
    }

    private interface Store {
        void store(CpuState cpu, long value);
    }

    /** MSRs holding linear addresses (LSTAR, CSTAR, FS/GS bases) refuse non-canonical values, host or guest. */
    private static Writer canonical(Store s) {
        return (c, m, v, host) -> {
            if (!Privilege.canonical(v)) {
                return false;
            }
            s.store(c, v);
            return true;
        };
    }

    static void register(OpTable t) {
        t.add(Mnemonic.RDMSR, false, MsrOps::rdmsr);
        t.add(Mnemonic.WRMSR, true, MsrOps::wrmsr);
    }

    // ---------------------------------------------------------------- VMM interface

    /** {@code KVM_GET_MSR_INDEX_LIST}: the MSRs jkvm implements, in ascending (unsigned) order. */
    public static int[] indexList() {
        return INDICES.clone();
    }

    /** {@code KVM_GET_MSRS} for one MSR: its value, or null when jkvm does not implement it. */
    public static Long get(CpuState cpu, int index) {
        Msr m = TABLE.get(index);
        return m == null ? null : m.reader.read(cpu);
    }

    /**
     * {@code KVM_SET_MSRS} for one MSR: false when jkvm does not implement it or refuses the value (KVM then
     * stops processing the list). The VMM must re-sync paging state afterwards (EFER).
     */
    public static boolean set(CpuState cpu, int index, long value) {
        Msr m = TABLE.get(index);
        return m != null && m.writer.write(cpu, null, value, true);
    }

    // ---------------------------------------------------------------- RDMSR / WRMSR

    private static int rdmsr(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireCpl0(cpu, "RDMSR");
        int index = (int) cpu.gpr[CpuState.RCX];
        Msr m = TABLE.get(index);
        int reason = m == null ? REASON_UNKNOWN : m.gate != null && !m.gate.open(cpu) ? REASON_INVAL : 0;
        if (reason != 0) {
            return refuse(cpu, insn, ExitRequest.Kind.RDMSR, index, 0, reason);
        }
        setEdxEax(cpu, m.reader.read(cpu));
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    private static int wrmsr(CpuState cpu, MemoryPort mem, Instruction insn) {
        Privilege.requireCpl0(cpu, "WRMSR");
        int index = (int) cpu.gpr[CpuState.RCX];
        long value = (cpu.gpr[CpuState.RDX] << 32) | (cpu.gpr[CpuState.RAX] & 0xffffffffL);
        Msr m = TABLE.get(index);
        if (m == null) {
            return refuse(cpu, insn, ExitRequest.Kind.WRMSR, index, value, REASON_UNKNOWN);
        }
        if ((m.gate != null && !m.gate.open(cpu)) || !m.writer.write(cpu, mem, value, false)) {
            return refuse(cpu, insn, ExitRequest.Kind.WRMSR, index, value, REASON_INVAL);
        }
        Operands.retire(cpu, insn);
        return Status.CONTINUE;
    }

    /** An access jkvm cannot do: #GP(0), or an exit when userspace asked for this kind of failure. */
    private static int refuse(CpuState cpu, Instruction insn, ExitRequest.Kind kind, int index, long value,
                              int reason) {
        if ((cpu.config.userSpaceMsrReasons & reason) == 0) {
            throw Faults.gp0((kind == ExitRequest.Kind.RDMSR ? "RDMSR" : "WRMSR") + " of MSR 0x"
                    + Integer.toHexString(index) + (reason == REASON_UNKNOWN ? " (unknown)" : " (refused)"));
        }
        ExitRequest e = cpu.exit;
        e.kind = kind;
        e.msrIndex = index;
        e.msrData = value;
        e.msrError = false;
        e.suberror = reason;
        cpu.pendingInstruction = insn;
        return Status.EXIT;
    }

    private static void setEdxEax(CpuState cpu, long v) {
        cpu.gpr[CpuState.RAX] = v & 0xffffffffL;
        cpu.gpr[CpuState.RDX] = v >>> 32;
    }

    /** Finishes an RDMSR exit: EDX:EAX = {@code cpu.exit.msrData}, or #GP(0) if userspace set the error flag. */
    static void completeRead(CpuState cpu, Instruction insn) {
        if (cpu.exit.msrError) {
            throw Faults.gp0("userspace failed RDMSR 0x" + Integer.toHexString(cpu.exit.msrIndex));
        }
        setEdxEax(cpu, cpu.exit.msrData);
        Operands.retire(cpu, insn);
    }

    /** Finishes a WRMSR exit, or raises #GP(0) if userspace set the error flag. */
    static void completeWrite(CpuState cpu, Instruction insn) {
        if (cpu.exit.msrError) {
            throw Faults.gp0("userspace failed WRMSR 0x" + Integer.toHexString(cpu.exit.msrIndex));
        }
        Operands.retire(cpu, insn);
    }

    // ---------------------------------------------------------------- MSR rules

    /**
     * EFER ({@code set_efer}): only SCE, LME, LMA and NXE exist; the guest may set LME only with long mode and NXE
     * only with NX in its CPUID, and may not change LME while paging is on. LMA is the CPU's: writes keep it.
     */
    private static boolean setEfer(CpuState cpu, MemoryPort mem, long value, boolean host) {
        if ((value & ~EFER_ALLOWED) != 0) {
            return false;
        }
        if (!host) {
            if ((value & (CpuState.EFER_LME | CpuState.EFER_LMA)) != 0 && !GuestFeatures.LM.in(cpu.config)) {
                return false;
            }
            if ((value & CpuState.EFER_NXE) != 0 && !GuestFeatures.NX.in(cpu.config)) {
                return false;
            }
            if ((cpu.cr0 & CpuState.CR0_PG) != 0 && ((value ^ cpu.efer) & CpuState.EFER_LME) != 0) {
                return false;
            }
        }
        value = (value & ~CpuState.EFER_LMA) | (cpu.efer & CpuState.EFER_LMA);
        long old = cpu.efer;
        cpu.efer = value;
        if (mem != null && old != value) {
            try {
                mem.controlRegistersChanged(cpu);
            } catch (GuestException e) {
                cpu.efer = old;
                mem.controlRegistersChanged(cpu);
                return false;
            }
        }
        return true;
    }

    /**
     * APIC_BASE ({@code kvm_apic_set_base}): bits 0-7 and 9, bits past MAXPHYADDR, and x2APIC enable without x2APIC
     * in CPUID are reserved; "x2APIC enable without APIC enable" is invalid; the guest may not go from x2APIC back
     * to xAPIC, nor from disabled straight to x2APIC.
     */
    private static boolean setApicBase(CpuState cpu, MemoryPort mem, long value, boolean host) {
        long old = cpu.apicBase;
        if (old == value) {
            return true;
        }
        long enable = 1L << 11, x2apic = 1L << 10;
        long reserved = reservedPhysBits(cpu) | 0x2ff | (GuestFeatures.X2APIC.in(cpu.config) ? 0 : x2apic);
        if ((value & reserved) != 0 || (value & (enable | x2apic)) == x2apic) {
            return false;
        }
        if (!host) {
            boolean oldX2 = (old & (enable | x2apic)) == (enable | x2apic);
            boolean newX2 = (value & (enable | x2apic)) == (enable | x2apic);
            boolean oldDisabled = (old & enable) == 0;
            if ((oldX2 && !newX2 && (value & enable) != 0) || (oldDisabled && newX2)) {
                return false;
            }
        }
        cpu.apicBase = value;
        return true;
    }

    private static boolean setMiscEnable(CpuState cpu, MemoryPort mem, long value, boolean host) {
        long old = cpu.miscEnable;
        if (!host) {
            if (((old ^ value) & MISC_PMU_RO) != 0) {
                return false;
            }
            value = (value & ~MISC_EMON) | (old & MISC_EMON);
        }
        cpu.miscEnable = value;
        return true;
    }

    private static boolean setVariableMtrr(CpuState cpu, int slot, long value) {
        long reserved = reservedPhysBits(cpu);
        if (slot % 2 == 0) {
            if (!validMtrrType((int) value & 0xff)) {
                return false;
            }
            reserved |= 0xf00;
        } else {
            reserved |= 0x7ff;
        }
        if ((value & reserved) != 0) {
            return false;
        }
        cpu.mtrrVariable[slot] = value;
        return true;
    }

    /** MTRR memory types: UC, WC, WT, WP, WB. */
    private static boolean validMtrrType(int t) {
        return t < 8 && ((1 << t) & 0x73) != 0;
    }

    /** PAT entries: UC, WC, WT, WP, WB, UC- (0, 1, 4, 5, 6, 7). */
    static boolean validPat(long v) {
        if ((v & 0xF8F8F8F8F8F8F8F8L) != 0) {
            return false;
        }
        return (v | ((v & 0x0202020202020202L) << 1)) == v;
    }

    /** Physical-address bits the guest's MAXPHYADDR leaves reserved. */
    private static long reservedPhysBits(CpuState cpu) {
        int bits = GuestFeatures.maxPhysAddrBits(cpu.config);
        return bits >= 64 ? 0 : -1L << bits;
    }
}
