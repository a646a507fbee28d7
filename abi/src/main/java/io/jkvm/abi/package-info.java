/**
 * The binary contract with KVM: every {@code linux/kvm.h} structure jkvm uses, as a {@link java.lang.foreign.MemoryLayout}
 * with a flyweight view over a {@link java.lang.foreign.MemorySegment}, the exit reasons, capabilities and flags,
 * and every ioctl number computed from its {@code _IO/_IOR/_IOW/_IOWR} encoding. Layouts only: no behaviour.
 */
package io.jkvm.abi;
