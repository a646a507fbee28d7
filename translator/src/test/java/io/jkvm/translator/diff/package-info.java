/**
 * Differential tests of the JIT with the host CPU as the oracle.
 *
 * <p>This machine has no {@code /dev/kvm}, but code at CPL 3 runs natively, so the oracle for user-mode
 * instructions is the CPU itself. A case is a short random instruction sequence ({@link
 * io.jkvm.translator.diff.SequenceGenerator}, Intel syntax encoded by GNU as, never by jkvm's decoder) with a
 * random initial state: GPRs, RFLAGS, XMM0-15, MXCSR and an 8 KiB scratch area.
 *
 * <ul>
 * <li>{@link io.jkvm.translator.diff.HostExecutor} runs cases in {@code host_exec}, a C program built by the test:
 *     code at {@link io.jkvm.translator.diff.DiffLayout#CODE}, scratch at
 *     {@link io.jkvm.translator.diff.DiffLayout#SCRATCH}, registers loaded by a signal return and read back from
 *     the {@code ucontext_t} of the signal that ends the case (the final {@code ud2}'s SIGILL, or the fault).
 * <li>{@link io.jkvm.translator.diff.JitExecutor} runs the same case on the JIT at CPL 3 with the same linear
 *     addresses and nothing else mapped; the vcpu has no IDT, so the first exception ends the run.
 * <li>{@link io.jkvm.translator.diff.Differ} compares how the runs ended (vector, #PF address and error code),
 *     RIP, GPRs, RFLAGS without the flags {@link io.jkvm.translator.diff.FlagFlow} finds undefined along every
 *     path of the case, MXCSR, XMM and the scratch memory.
 * <li>{@link io.jkvm.translator.diff.Minimiser} re-runs the prefixes of a divergent case to find its first
 *     divergent instruction, checks it against the explicit list of value-dependent undefined behaviour
 *     ({@link io.jkvm.translator.diff.UndefinedBehaviour}) and reports it with objdump's disassembly and the states
 *     before and after.
 * <li>{@link io.jkvm.translator.diff.DiffSweep} puts it together in batches; {@code DifferentialSweepTest}
 *     documents the system properties for long sweeps.
 * </ul>
 *
 * <p>The hardware-backend lockstep comparison lives in the runtime module ({@code io.jkvm.runtime.diff}), since
 * the translator must not depend on the runtime.
 */
package io.jkvm.translator.diff;
