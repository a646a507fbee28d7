/** The KVM-style API ({@code Kvm} → {@code Vm} → {@code Vcpu}) over the jit and hardware backends. */
package io.jkvm.runtime;
