/**
 * Guest physical memory and x86 address translation for jkvm.
 *
 * <ul>
 *   <li>{@link io.jkvm.mmu.GuestMemory} (one per VM): memory slots over caller-owned native segments with
 *       {@code KVM_SET_USER_MEMORY_REGION}'s rules and errnos, lock-free {@code find(gpa)}, the dirty log
 *       ({@code KVM_GET_DIRTY_LOG}, {@code KVM_CLEAR_DIRTY_LOG}, manual protect), physical-address helpers for
 *       loaders and devices, and the VM's {@link io.jkvm.mmu.CodeMap} of translated bytes.</li>
 *   <li>{@link io.jkvm.mmu.PageWalker} (one per vcpu): paging off, 32-bit, PAE and 4-level walks with the
 *       architecture's reserved-bit, permission, SMEP/SMAP and Accessed/Dirty rules; results in a reused
 *       {@link io.jkvm.mmu.WalkResult}.</li>
 *   <li>{@link io.jkvm.mmu.Tlb} (one per vcpu): the soft TLB whose array layout generated code reads inline.</li>
 *   <li>{@link io.jkvm.mmu.Mmu} (one per vcpu): paging registers with the architectural flush rules, and
 *       {@code translate}, the slow path of every TLB miss; guest faults are the stackless
 *       {@link io.jkvm.mmu.PageFault} and {@link io.jkvm.mmu.NonCanonicalAddressFault}.</li>
 * </ul>
 *
 * <p>Threads: {@code GuestMemory} and {@code CodeMap} are shared and thread-safe; {@code Mmu}, {@code PageWalker} and
 * {@code Tlb} belong to one vcpu thread. Cross-thread changes reach a vcpu through generation counters that
 * {@link io.jkvm.mmu.Mmu#sync()} checks at block boundaries. Nothing here decides what MMIO does: an address in no
 * slot is handed back to the caller.
 */
package io.jkvm.mmu;
