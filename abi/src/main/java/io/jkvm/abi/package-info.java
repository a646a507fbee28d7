/**
 * The binary contract with KVM, byte-exact with the x86-64 {@code <linux/kvm.h>} and {@code <asm/kvm.h>}
 * (checked against the installed header, Linux 6.1 uapi, by the module's gcc test).
 *
 * <ul>
 *   <li>Structs: one final view class per C struct, named in CamelCase ({@code struct kvm_regs} is {@link
 *       io.jkvm.abi.KvmRegs}). Each has a {@code LAYOUT} whose member names are the C field names, a constructor
 *       over a {@link java.lang.foreign.MemorySegment} (refused if too small or misaligned), {@code allocate}
 *       (zeroed), {@code segment()}, and per field a getter and a fluent setter named in camelCase
 *       ({@code rip()}, {@code rip(long)}). Nested structs are views sharing memory; arrays take an index.
 *       Unsigned types widen where natural ({@code __u8}/{@code __u16} to {@code int}, {@code __u64} to
 *       {@code long}); {@code __u32} stays {@code int}, so callers use {@link java.lang.Integer#toUnsignedLong}
 *       when they compute with it. Setters of {@code __u8}/{@code __u16} fields refuse values C would truncate.</li>
 *   <li>{@link io.jkvm.abi.KvmRun} wraps the whole vcpu mmap area and reaches each exit payload through a view.</li>
 *   <li>Numbers: {@link io.jkvm.abi.ExitReason}, {@link io.jkvm.abi.Capability}, {@link io.jkvm.abi.Ioctl}
 *       (computed from the {@code _IOC} encoding), and constant holders whose field names are the C macro names
 *       ({@link io.jkvm.abi.MemFlags#KVM_MEM_READONLY}); {@link io.jkvm.abi.AbiConstants} lists them all.</li>
 *   <li>jkvm extensions ({@link io.jkvm.abi.JkvmExtension}) are numbered from {@code 0x4A4B0001}, outside KVM's
 *       ranges: capabilities {@code JKVM_CPUID_EXIT} and {@code JKVM_INSTRUCTION_COUNT}, exit reasons
 *       {@code JKVM_EXIT_CPUID} and {@code JKVM_EXIT_BUDGET}, and the CPUID exit payload
 *       {@link io.jkvm.abi.KvmRun#cpuid()}.</li>
 *   <li>Errors common to both backends: {@link io.jkvm.abi.Errno}, {@link io.jkvm.abi.KvmException}.</li>
 * </ul>
 *
 * <p>Layouts and numbers only: no ioctl is issued here and nothing has behaviour beyond bounds checks.
 */
package io.jkvm.abi;
