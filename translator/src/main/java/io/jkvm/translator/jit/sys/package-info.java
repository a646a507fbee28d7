/**
 * The instructions the JIT runs as Java helpers ({@link io.jkvm.translator.jit.HelperOp}), one family per class
 * in the SDM's grouping (port I/O, strings, flags, segments, descriptor tables, control registers, MSRs, CPUID,
 * the TSC, far transfers, fast system calls, event-raising instructions), and the delivery of exceptions and
 * interrupts through the guest's IDT ({@link io.jkvm.translator.jit.sys.Interrupts}).
 *
 * <p>Where KVM decides what the guest or the VMM sees (exits, CPUID fallback, MSR validity, hypercall results),
 * the behaviour is KVM's, named after the kernel function it follows. Instructions that exit to userspace leave an
 * unfinished instruction in {@code CpuState.pendingInstruction}, which
 * {@link io.jkvm.translator.jit.sys.ExitCompletion} finishes on the next run.
 *
 * <p>Shared machinery, used by every family: {@code Operands} (operand access with x86's register and address
 * rules), {@code Stack} (pushes and pops committed all at once), {@code Descriptors} and {@code SegmentLoads}
 * (descriptor tables and the segment-load checks), {@code Privilege}, {@code Faults}, {@code HostAccess} (direct
 * access to RAM pages for bulk work) and {@code GuestFeatures} (CPUID-gated features).
 */
package io.jkvm.translator.jit.sys;
