package io.jkvm.translator.cpu;

/**
 * The architectural state of one x86-64 vcpu, as plain public fields because generated code reads and writes them
 * directly (a block loads the registers it uses into JVM locals on entry and stores the ones it changed on exit).
 *
 * <p>RFLAGS is split: {@link #rflags} holds every bit except the six arithmetic flags, which live in the lazy
 * condition-code state ({@link #ccOp}, {@link #ccDst}, {@link #ccSrc}, {@link #ccSrc2}; see {@link Flags}).
 * Use {@link #getRflags()}/{@link #setRflags(long)} for the architectural value.
 */
public final class CpuState {
    public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

    public static final long CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 0x10, CR0_NE = 0x20,
            CR0_WP = 1L << 16, CR0_AM = 1L << 18, CR0_NW = 1L << 29, CR0_CD = 1L << 30, CR0_PG = 1L << 31;
    public static final long CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 0x10, CR4_PAE = 0x20,
            CR4_MCE = 0x40, CR4_PGE = 0x80, CR4_PCE = 0x100, CR4_OSFXSR = 0x200, CR4_OSXMMEXCPT = 0x400,
            CR4_UMIP = 0x800, CR4_FSGSBASE = 0x10000, CR4_OSXSAVE = 0x40000, CR4_SMEP = 0x100000, CR4_SMAP = 0x200000;
    public static final long EFER_SCE = 1, EFER_LME = 0x100, EFER_LMA = 0x400, EFER_NXE = 0x800;

    /** RAX..R15. */
    public final long[] gpr = new long[16];
    public long rip;
    /** RFLAGS without the arithmetic flags (see class comment). Bit 1 is always set. */
    public long rflags = Flags.FIXED;
    public int ccOp = Flags.op(Flags.EFLAGS, 8);
    public long ccDst, ccSrc, ccSrc2;

    /** ES, CS, SS, DS, FS, GS. */
    public final SegmentRegister[] seg = new SegmentRegister[6];
    public final SegmentRegister tr = new SegmentRegister();
    public final SegmentRegister ldtr = new SegmentRegister();
    public long gdtBase, idtBase;
    public int gdtLimit = 0xffff, idtLimit = 0xffff;

    public long cr0 = CR0_ET | CR0_NE | CR0_CD | CR0_NW, cr2, cr3, cr4, cr8, efer;
    public long apicBase = 0xfee00000L | (1L << 8) | (1L << 11);

    /** XMM0..XMM15, each as two longs: [2n] = low 64 bits, [2n+1] = high 64 bits. */
    public final long[] xmm = new long[32];
    public int mxcsr = 0x1f80;
    /** x87 control/status/tag words (x87 arithmetic is not executed; FXSAVE/FXRSTOR keep these). */
    public int fcw = 0x37f, fsw, ftw;

    // MSRs kept by the CPU model.
    public long star, lstar, cstar, sfmask, kernelGsBase, tscAux, sysenterCs, sysenterEsp, sysenterEip;
    public long pat = 0x0007040600070406L, miscEnable = 1, tscOffset;

    /** What the VMM configured for this vcpu (CPUID table, enabled exits). */
    public final VcpuConfig config = new VcpuConfig();

    /** Guest instructions retired so far by this vcpu. */
    public long instructions;

    /**
     * Set by a slow path when the current instruction, once complete, must be followed by a return to the run loop
     * (an MMIO store exit, a store into translated code). Generated code tests it after instructions that store.
     */
    public int pendingExit;
    /** The exit an instruction requested (valid when a region returns {@code Status.EXIT}). */
    public final ExitRequest exit = new ExitRequest();
    /** The guest exception raised (valid when a region returns {@code Status.TRAP}). */
    public GuestException trap;
    /** Non-zero when the run loop must regain control soon (kick, interrupt, TLB shootdown). Polled on back-edges. */
    public volatile int requests;
    /** Absolute value of {@link #instructions} at which execution must stop (instruction budget). */
    public long budgetLimit = Long.MAX_VALUE;

    /** STI/MOV SS interrupt shadow: interrupts are not taken before the next instruction boundary. */
    public boolean interruptShadow;
    public boolean halted;

    public CpuState() {
        for (int i = 0; i < seg.length; i++) {
            seg[i] = new SegmentRegister();
        }
        reset();
    }

    /** The architectural RFLAGS, arithmetic flags included. */
    public long getRflags() {
        return (rflags & ~Flags.ARITH) | Flags.compute(ccOp, ccDst, ccSrc, ccSrc2) | Flags.FIXED;
    }

    public void setRflags(long value) {
        rflags = (value & ~Flags.ARITH) | Flags.FIXED;
        ccOp = Flags.op(Flags.EFLAGS, 8);
        ccSrc = value & Flags.ARITH;
        ccDst = 0;
        ccSrc2 = 0;
    }

    /** The reset state of an x86 CPU (SDM 9.1.1), as KVM presents a new vcpu: real mode at F000:FFF0. */
    public void reset() {
        java.util.Arrays.fill(gpr, 0);
        gpr[RDX] = 0x600;
        setRflags(Flags.FIXED);
        rip = 0xfff0;
        for (int i = 0; i < seg.length; i++) {
            SegmentRegister s = seg[i];
            s.selector = 0;
            s.base = 0;
            s.limit = 0xffff;
            s.type = i == CS ? 0xb : 3;
            s.s = true;
            s.present = true;
            s.dpl = 0;
            s.db = false;
            s.l = false;
            s.g = false;
            s.avl = false;
            s.unusable = false;
        }
        seg[CS].selector = 0xf000;
        seg[CS].base = 0xffff0000L;
        tr.selector = 0;
        tr.base = 0;
        tr.limit = 0xffff;
        tr.type = 0xb;
        tr.present = true;
        tr.s = false;
        ldtr.selector = 0;
        ldtr.base = 0;
        ldtr.limit = 0xffff;
        ldtr.type = 2;
        ldtr.present = true;
        ldtr.s = false;
        gdtBase = 0;
        gdtLimit = 0xffff;
        idtBase = 0;
        idtLimit = 0xffff;
        cr0 = CR0_ET | CR0_NE | CR0_CD | CR0_NW;
        cr2 = cr3 = cr4 = cr8 = efer = 0;
        java.util.Arrays.fill(xmm, 0);
        mxcsr = 0x1f80;
        fcw = 0x37f;
        fsw = 0;
        ftw = 0;
        interruptShadow = false;
        halted = false;
    }

    /** CPL: the DPL of SS (equal to CS.RPL outside transitions), as the SDM defines it for protected mode. */
    public int cpl() {
        if ((cr0 & CR0_PE) == 0) {
            return 0;
        }
        if ((rflags & Flags.VM) != 0) {
            return 3;
        }
        return seg[SS].dpl;
    }

    public boolean longMode() {
        return (efer & EFER_LMA) != 0;
    }

    /** True when CS is a 64-bit code segment in long mode. */
    public boolean is64() {
        return longMode() && seg[CS].l;
    }

    /** Default code size in bytes: 8 in 64-bit mode, 4 with CS.D, else 2 (real mode, 16-bit segments). */
    public int codeSize() {
        if (is64()) {
            return 8;
        }
        if ((cr0 & CR0_PE) != 0 && (rflags & Flags.VM) == 0 && seg[CS].db) {
            return 4;
        }
        return 2;
    }

    /** Whether an access at CPL 3 (user) is being made (page-level U/S checks). */
    public boolean userMode() {
        return cpl() == 3;
    }

    public long reg(int n) {
        return gpr[n];
    }

    public void setReg(int n, long v) {
        gpr[n] = v;
    }

    // ---- Appended for the system instructions (io.jkvm.translator.jit.sys): state beyond the core model.

    /** DR0-DR3. */
    public final long[] dr = new long[4];
    /** DR6 and DR7, with the fixed bits KVM reports for a new vcpu. */
    public long dr6 = 0xffff0ff0L, dr7 = 0x400;
    /** MTRRs: IA32_MTRR_PHYSBASE0/PHYSMASK0 ... pairs, the 11 fixed-range MSRs, IA32_MTRR_DEF_TYPE. */
    public final long[] mtrrVariable = new long[16];
    public final long[] mtrrFixed = new long[11];
    public long mtrrDefType;
    /** IA32_MCG_STATUS. */
    public long mcgStatus;
    /** IA32_BIOS_SIGN_ID as KVM presents it: microcode revision in bits 63:32. */
    public long microcodeRevision = 0x100000000L;
    /**
     * The instruction an exit to userspace left unfinished (IN, OUT, INS, OUTS, CPUID, RDMSR, WRMSR, VMCALL): the
     * executor finishes it on the next run with {@code io.jkvm.translator.jit.sys.ExitCompletion}; null when none.
     */
    public io.jkvm.translator.decoder.Instruction pendingInstruction;
}
