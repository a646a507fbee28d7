package io.jkvm.runtime.jit;

import io.jkvm.abi.KvmDtable;
import io.jkvm.abi.KvmFpu;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmSegment;
import io.jkvm.abi.KvmSregs;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.SegmentRegister;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Copies between jkvm's {@link CpuState} and the {@code kvm_regs}/{@code kvm_sregs}/{@code kvm_fpu} structures. */
final class StateMapper {
    /** kvm_regs order: rax rbx rcx rdx rsi rdi rsp rbp r8..r15; CpuState order: rax rcx rdx rbx rsp rbp rsi rdi. */
    private StateMapper() {
    }

    static void getRegs(CpuState c, KvmRegs r) {
        long[] g = c.gpr;
        r.rax(g[0]).rcx(g[1]).rdx(g[2]).rbx(g[3]).rsp(g[4]).rbp(g[5]).rsi(g[6]).rdi(g[7])
                .r8(g[8]).r9(g[9]).r10(g[10]).r11(g[11]).r12(g[12]).r13(g[13]).r14(g[14]).r15(g[15])
                .rip(c.rip).rflags(c.getRflags());
    }

    static void setRegs(CpuState c, KvmRegs r) {
        long[] g = c.gpr;
        g[0] = r.rax();
        g[1] = r.rcx();
        g[2] = r.rdx();
        g[3] = r.rbx();
        g[4] = r.rsp();
        g[5] = r.rbp();
        g[6] = r.rsi();
        g[7] = r.rdi();
        g[8] = r.r8();
        g[9] = r.r9();
        g[10] = r.r10();
        g[11] = r.r11();
        g[12] = r.r12();
        g[13] = r.r13();
        g[14] = r.r14();
        g[15] = r.r15();
        c.rip = r.rip();
        c.setRflags(r.rflags());
    }

    static void getSregs(CpuState c, KvmSregs s) {
        toKvm(c.seg[CpuState.CS], s.cs());
        toKvm(c.seg[CpuState.DS], s.ds());
        toKvm(c.seg[CpuState.ES], s.es());
        toKvm(c.seg[CpuState.FS], s.fs());
        toKvm(c.seg[CpuState.GS], s.gs());
        toKvm(c.seg[CpuState.SS], s.ss());
        toKvm(c.tr, s.tr());
        toKvm(c.ldtr, s.ldt());
        table(s.gdt(), c.gdtBase, c.gdtLimit);
        table(s.idt(), c.idtBase, c.idtLimit);
        s.cr0(c.cr0).cr2(c.cr2).cr3(c.cr3).cr4(c.cr4).cr8(c.cr8).efer(c.efer).apicBase(c.apicBase);
        for (int i = 0; i < 4; i++) {
            s.interruptBitmap(i, 0);
        }
    }

    static void setSregs(CpuState c, KvmSregs s) {
        fromKvm(s.cs(), c.seg[CpuState.CS]);
        fromKvm(s.ds(), c.seg[CpuState.DS]);
        fromKvm(s.es(), c.seg[CpuState.ES]);
        fromKvm(s.fs(), c.seg[CpuState.FS]);
        fromKvm(s.gs(), c.seg[CpuState.GS]);
        fromKvm(s.ss(), c.seg[CpuState.SS]);
        fromKvm(s.tr(), c.tr);
        fromKvm(s.ldt(), c.ldtr);
        c.gdtBase = s.gdt().base();
        c.gdtLimit = s.gdt().limit();
        c.idtBase = s.idt().base();
        c.idtLimit = s.idt().limit();
        c.cr0 = s.cr0();
        c.cr2 = s.cr2();
        c.cr3 = s.cr3();
        c.cr4 = s.cr4();
        c.cr8 = s.cr8();
        c.efer = s.efer();
        c.apicBase = s.apicBase();
    }

    private static void table(KvmDtable t, long base, int limit) {
        t.base(base).limit(limit);
    }

    private static void toKvm(SegmentRegister r, KvmSegment k) {
        k.base(r.base).limit(r.limit).selector(r.selector).type(r.type).present(r.present ? 1 : 0).dpl(r.dpl)
                .db(r.db ? 1 : 0).s(r.s ? 1 : 0).l(r.l ? 1 : 0).g(r.g ? 1 : 0).avl(r.avl ? 1 : 0)
                .unusable(r.unusable ? 1 : 0);
    }

    private static void fromKvm(KvmSegment k, SegmentRegister r) {
        r.base = k.base();
        r.limit = k.limit();
        r.selector = k.selector();
        r.type = k.type();
        r.present = k.present() != 0;
        r.dpl = k.dpl();
        r.db = k.db() != 0;
        r.s = k.s() != 0;
        r.l = k.l() != 0;
        r.g = k.g() != 0;
        r.avl = k.avl() != 0;
        r.unusable = k.unusable() != 0;
    }

    /**
     * KVM_GET_FPU as KVM does it: the x87 control words and the XMM registers, but not MXCSR, which KVM leaves 0
     * ({@code kvm_arch_vcpu_ioctl_get_fpu} copies the FXSAVE image's registers into a zeroed struct, not its mxcsr;
     * {@code set_fpu} ignores it too). Reporting or taking it would make a VMM behave differently on the two
     * backends: one that zero-fills {@code kvm_fpu} for KVM_SET_FPU would unmask every SSE exception here only.
     */
    static void getFpu(CpuState c, KvmFpu f) {
        f.fcw(c.fcw).fsw(c.fsw).ftwx(c.ftw).mxcsr(0);
        for (int i = 0; i < 16; i++) {
            MemorySegment x = f.xmm(i);
            x.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, c.xmm[2 * i]);
            x.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, c.xmm[2 * i + 1]);
        }
    }

    static void setFpu(CpuState c, KvmFpu f) {
        c.fcw = f.fcw();
        c.fsw = f.fsw();
        c.ftw = f.ftwx();
        for (int i = 0; i < 16; i++) {
            MemorySegment x = f.xmm(i);
            c.xmm[2 * i] = x.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            c.xmm[2 * i + 1] = x.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        }
    }
}
