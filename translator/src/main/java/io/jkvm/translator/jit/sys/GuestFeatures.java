package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.VcpuConfig;

/**
 * CPU features as the guest's CPUID table ({@code KVM_SET_CPUID2}) advertises them. KVM gates MSRs, CR4 bits and
 * some instructions on these ({@code guest_cpuid_has}), so a VMM that does not advertise a feature gets the fault
 * a CPU without it would raise. Lookups are exact (function and, where significant, index), with no fallback.
 */
enum GuestFeatures {
    // CPUID.1:EDX
    FXSR(1, 0, Reg.EDX, 24),
    // CPUID.1:ECX
    PCID(1, 0, Reg.ECX, 17),
    X2APIC(1, 0, Reg.ECX, 21),
    XSAVE(1, 0, Reg.ECX, 26),
    // CPUID.7.0:EBX
    FSGSBASE(7, 0, Reg.EBX, 0),
    SMEP(7, 0, Reg.EBX, 7),
    SMAP(7, 0, Reg.EBX, 20),
    // CPUID.7.0:ECX
    UMIP(7, 0, Reg.ECX, 2),
    PKU(7, 0, Reg.ECX, 3),
    LA57(7, 0, Reg.ECX, 16),
    RDPID(7, 0, Reg.ECX, 22),
    // CPUID.80000001:EDX
    SYSCALL(0x80000001, 0, Reg.EDX, 11),
    NX(0x80000001, 0, Reg.EDX, 20),
    RDTSCP(0x80000001, 0, Reg.EDX, 27),
    LM(0x80000001, 0, Reg.EDX, 29);

    enum Reg { EAX, EBX, ECX, EDX }

    private final int function;
    private final int index;
    private final Reg reg;
    private final int bit;

    GuestFeatures(int function, int index, Reg reg, int bit) {
        this.function = function;
        this.index = index;
        this.reg = reg;
        this.bit = bit;
    }

    /** Whether the guest's CPUID table advertises this feature. */
    public boolean in(VcpuConfig config) {
        VcpuConfig.CpuidEntry e = CpuidOps.find(config, function, index);
        if (e == null) {
            return false;
        }
        int word = switch (reg) {
            case EAX -> e.eax();
            case EBX -> e.ebx();
            case ECX -> e.ecx();
            case EDX -> e.edx();
        };
        return (word >>> bit & 1) != 0;
    }

    /**
     * MAXPHYADDR as KVM derives it ({@code cpuid_maxphyaddr}): CPUID.80000008:EAX[7:0] when the extended range
     * reaches that leaf, else 36.
     */
    static int maxPhysAddrBits(VcpuConfig config) {
        VcpuConfig.CpuidEntry ext = CpuidOps.find(config, 0x80000000, 0);
        if (ext == null || Integer.compareUnsigned(ext.eax(), 0x80000008) < 0) {
            return 36;
        }
        VcpuConfig.CpuidEntry e = CpuidOps.find(config, 0x80000008, 0);
        return e == null ? 36 : e.eax() & 0xff;
    }

    /** Whether the CPUID vendor string (leaf 0) is AMD's or Hygon's, which changes KVM's CPUID fallback. */
    static boolean vendorAmdLike(VcpuConfig.CpuidEntry basic) {
        // "AuthenticAMD" and "HygonGenuine" as EBX, EDX, ECX.
        return (basic.ebx() == 0x68747541 && basic.edx() == 0x69746e65 && basic.ecx() == 0x444d4163)
                || (basic.ebx() == 0x6f677948 && basic.edx() == 0x6e65476e && basic.ecx() == 0x656e6975);
    }
}
