package io.jkvm.translator.decoder;

/**
 * What code generation and the VMM need to know about a {@link Mnemonic} beyond its flags. Attributes are data on
 * the enum constants: {@code mnemonic.is(Attribute.BRANCH)}.
 */
public enum Attribute {
    /** Changes RIP other than by falling through (jumps, calls, returns, INT n, IRET, SYSCALL ...): ends a block. */
    BRANCH,
    /** A branch that may fall through (Jcc, LOOPcc, JCXZ, XBEGIN). */
    CONDITIONAL,
    /** Pushes a return address (CALL, CALLF); with {@link #BRANCH}. */
    CALL,
    /** Pops a return address (RET, RETF, IRET, SYSRET ...); with {@link #BRANCH}. */
    RETURN,
    /** Raises an exception or interrupt by design (INT3, INT n, INTO, INT1, UD0/1/2, BOUND). */
    TRAP,
    /**
     * May leave the guest: under KVM this instruction can cause a VM exit that userspace or the hypervisor handles
     * (IN/OUT/INS/OUTS, HLT, CPUID, RDMSR/WRMSR, VMCALL/VMMCALL, MOV to/from CR, INVLPG ...).
     */
    VM_EXIT,
    /** Raises #GP unless CPL is 0. */
    PRIVILEGED,
    /** Faults at CPL 3 unless IOPL (or the TSS I/O bitmap) allows it: CLI/STI/IN/OUT/INS/OUTS. */
    IOPL_SENSITIVE,
    /** A string instruction: element size in {@code operandSize}, REP/REPE/REPNE in the prefixes. */
    STRING,
    /** Serialises or fences execution (CPUID, IRET, MOV CR, LFENCE/MFENCE/SFENCE, WRMSR ...). */
    SERIALIZING,
    /** Reads or writes memory other than through its listed operands (stack, descriptor tables, XSAVE areas). */
    IMPLICIT_MEMORY,
    /** Operates on the x87 FPU. */
    X87,
    /** Operates on MMX registers (the MMX forms of P* instructions carry {@link RegClass#MMX} operands instead). */
    MMX,
    /** SSE or SSE2 (XMM registers, MXCSR), the vector set jkvm executes. */
    SSE,
    /** VEX-, EVEX- or XOP-encoded (AVX and later). */
    AVX,
    /**
     * Decoded for length, name and operands only: jkvm does not execute it and the translator raises #UD. Every
     * mnemonic outside the general-purpose integer, system and SSE/SSE2 sets that jkvm implements carries it.
     */
    DECODE_ONLY
}
