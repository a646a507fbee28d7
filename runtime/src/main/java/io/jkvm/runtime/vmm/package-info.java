/**
 * The VMM: {@link io.jkvm.runtime.vmm.GuestRunner} runs one guest on one vcpu from image to outcome, over the public
 * {@code Kvm}/{@code Vm}/{@code Vcpu} API only, so it works on both backends.
 *
 * <p>Library code, kept apart from the command ({@code io.jkvm.runtime.cli}) so that tests and benches can run guests
 * without a process: it never prints or exits; it returns an {@link io.jkvm.runtime.vmm.Outcome} and
 * {@link io.jkvm.runtime.vmm.RunStatistics}. The run loop only routes exits to the device buses and decides when
 * the run is over. Backends report their own counters through {@link io.jkvm.runtime.vmm.BackendStatistics}.
 */
package io.jkvm.runtime.vmm;
