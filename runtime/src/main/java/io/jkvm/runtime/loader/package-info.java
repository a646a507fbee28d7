/**
 * Image loaders: put a guest image into guest RAM and say how the CPU starts.
 *
 * <p>{@link io.jkvm.runtime.loader.ImageLoader} detects the format (ELF64 or ELF32 with the JKVM note: long mode;
 * other ELF32 or a multiboot header with the a.out kludge: multiboot v1 protected mode; anything else: a flat binary in
 * real mode), validates every value it reads ({@link io.jkvm.runtime.loader.ElfImage},
 * {@link io.jkvm.runtime.loader.MultibootHeader}) and only then writes, through {@link io.jkvm.runtime.loader.GuestRam}
 * (the slot memory, never a backend). The result's {@link io.jkvm.runtime.loader.EntryState} is applied to the
 * vcpu's {@code kvm_regs}/{@code kvm_sregs}. Addresses of everything the loaders write are in
 * {@link io.jkvm.runtime.GuestLayout}. Refused images are {@link io.jkvm.runtime.loader.LoaderException}s naming the
 * file and the problem.
 */
package io.jkvm.runtime.loader;
