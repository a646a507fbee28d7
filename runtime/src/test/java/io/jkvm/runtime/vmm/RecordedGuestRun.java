package io.jkvm.runtime.vmm;

import io.jkvm.abi.Capability;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.IoDirection;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmFpu;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSegment;
import io.jkvm.abi.KvmSregs;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.GuestLayout;
import io.jkvm.runtime.Kvm;
import io.jkvm.runtime.Vcpu;
import io.jkvm.runtime.Vm;
import io.jkvm.runtime.devices.DebugExit;
import io.jkvm.runtime.devices.IoBus;
import io.jkvm.runtime.devices.MmioBus;
import io.jkvm.runtime.devices.Serial16550;
import io.jkvm.runtime.loader.GuestRam;
import io.jkvm.runtime.loader.Image;
import io.jkvm.runtime.loader.ImageLoader;
import io.jkvm.runtime.loader.LoaderException;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test harness for differential tests: one guest run exactly as {@link GuestRunner#run} sets it up (same RAM
 * allocator, loader, CPUID, entry state, devices and {@link RunLoop}), but it also records every exit in order and,
 * once the loop has ended, the final vcpu state and a copy of guest RAM, which {@code GuestRunner} does not expose
 * (it closes the vcpu before returning). Keep the setup in step with {@code GuestRunner.run}.
 */
public final class RecordedGuestRun {
    private RecordedGuestRun() {
    }

    /**
     * One exit as userspace saw it: the reason and, for port I/O, direction, port, size, count and (for OUT) the data
     * bytes; {@code serialBytesBefore} is how many bytes the 16550 had transmitted when the exit happened.
     */
    public record Exit(ExitReason reason, int direction, int port, int size, int count, long outData,
                       long serialBytesBefore) {
        /** The exit without its position in the output. */
        public String describe() {
            if (reason != ExitReason.IO) {
                return reason.cName();
            }
            boolean out = direction == IoDirection.KVM_EXIT_IO_OUT;
            return String.format("IO %s port=0x%x size=%d count=%d%s", out ? "out" : "in", port, size, count,
                    out ? String.format(" data=0x%x", outData) : "");
        }
    }

    /** A segment register as KVM_GET_SREGS reports it. */
    public record Segment(int selector, long base, int limit, int type, int present, int dpl, int db, int s, int l,
                          int g, int unusable) {
        static Segment of(KvmSegment k) {
            return new Segment(k.selector(), k.base(), k.limit(), k.type(), k.present(), k.dpl(), k.db(), k.s(), k.l(),
                    k.g(), k.unusable());
        }
    }

    /**
     * The final vcpu state: the 16 GPRs in KVM's order (RAX RBX RCX RDX RSI RDI RSP RBP R8..R15), RIP, RFLAGS,
     * segments, GDTR and IDTR, control registers, EFER, MXCSR and the 16 XMM registers (little-endian, 2 longs
     * each).
     */
    public record VcpuState(long[] gprs, long rip, long rflags, Map<String, Segment> segments, long gdtBase,
                            int gdtLimit, long idtBase, int idtLimit, long cr0, long cr2, long cr3, long cr4,
                            long efer, int mxcsr, long[] xmm) {
        public static final List<String> GPR_NAMES = List.of("RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RSP", "RBP",
                "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15");

        static VcpuState of(Vcpu vcpu, Arena arena) {
            KvmRegs r = vcpu.getRegs(KvmRegs.allocate(arena));
            KvmSregs s = vcpu.getSregs(KvmSregs.allocate(arena));
            KvmFpu f = vcpu.getFpu();
            long[] gprs = {r.rax(), r.rbx(), r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rsp(), r.rbp(), r.r8(), r.r9(),
                    r.r10(), r.r11(), r.r12(), r.r13(), r.r14(), r.r15()};
            Map<String, Segment> segments = new LinkedHashMap<>();
            segments.put("CS", Segment.of(s.cs()));
            segments.put("DS", Segment.of(s.ds()));
            segments.put("ES", Segment.of(s.es()));
            segments.put("FS", Segment.of(s.fs()));
            segments.put("GS", Segment.of(s.gs()));
            segments.put("SS", Segment.of(s.ss()));
            segments.put("TR", Segment.of(s.tr()));
            segments.put("LDTR", Segment.of(s.ldt()));
            long[] xmm = new long[32];
            for (int i = 0; i < 16; i++) {
                MemorySegment x = f.xmm(i);
                xmm[2 * i] = x.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                xmm[2 * i + 1] = x.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
            }
            return new VcpuState(gprs, r.rip(), r.rflags(), segments, s.gdt().base(), s.gdt().limit(), s.idt().base(),
                    s.idt().limit(), s.cr0(), s.cr2(), s.cr3(), s.cr4(), s.efer(), f.mxcsr(), xmm);
        }
    }

    /** Guest RAM after the run, page by page (null for an all-zero page, which most of a small guest's RAM is). */
    public static final class Ram {
        public static final int PAGE = 4096;
        private final byte[][] pages;

        private Ram(int pageCount) {
            pages = new byte[pageCount][];
        }

        Ram(MemorySegment ram) {
            pages = new byte[(int) (ram.byteSize() / PAGE)][];
            for (int i = 0; i < pages.length; i++) {
                MemorySegment page = ram.asSlice((long) i * PAGE, PAGE);
                if (page.mismatch(MemorySegment.ofArray(new byte[PAGE])) >= 0) {
                    pages[i] = page.toArray(ValueLayout.JAVA_BYTE);
                }
            }
        }

        public long size() {
            return (long) pages.length * PAGE;
        }

        /** The byte at guest-physical {@code address}. */
        public int byteAt(long address) {
            byte[] p = pages[(int) (address / PAGE)];
            return p == null ? 0 : p[(int) (address % PAGE)] & 0xff;
        }

        /** The little-endian 64-bit value at {@code address} (8-byte aligned). */
        public long longAt(long address) {
            long v = 0;
            for (int i = 7; i >= 0; i--) {
                v = (v << 8) | byteAt(address + i);
            }
            return v;
        }

        /** Whether page {@code index} holds the same bytes here and in {@code other}. */
        public boolean samePage(Ram other, int index) {
            byte[] a = pages[index];
            byte[] b = other.pages[index];
            return a == null || b == null ? a == b : java.util.Arrays.equals(a, b);
        }

        public int pageCount() {
            return pages.length;
        }

        /** A copy with the byte at {@code address} replaced (for tests of the comparison itself). */
        public Ram withByte(long address, int value) {
            Ram copy = new Ram(pages.length);
            for (int i = 0; i < pages.length; i++) {
                copy.pages[i] = pages[i] == null ? null : pages[i].clone();
            }
            int index = (int) (address / PAGE);
            if (copy.pages[index] == null) {
                copy.pages[index] = new byte[PAGE];
            }
            copy.pages[index][(int) (address % PAGE)] = (byte) value;
            return copy;
        }

        /** SHA-256 of all of RAM, with the bytes {@code excluded} accepts read as zero. */
        public String sha256(java.util.function.LongPredicate excluded) {
            try {
                java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                byte[] zero = new byte[PAGE];
                for (int i = 0; i < pages.length; i++) {
                    byte[] p = pages[i] == null ? zero : pages[i].clone();
                    if (pages[i] != null) {
                        for (int b = 0; b < PAGE; b++) {
                            if (excluded.test((long) i * PAGE + b)) {
                                p[b] = 0;
                            }
                        }
                    }
                    md.update(p);
                }
                return java.util.HexFormat.of().formatHex(md.digest());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Called before every {@code KVM_RUN} with the number of exits so far (0 before the first). */
    @FunctionalInterface
    public interface EntryHook {
        void beforeEntry(int exitsSoFar, Vcpu vcpu);
    }

    /** What one run produced. */
    public record Result(Outcome outcome, ImageLoader.Format format, byte[] serialOutput, List<Exit> exits,
                         VcpuState state, Ram ram, long instructions) {
    }

    /**
     * Runs {@code image} on {@code backend} with {@code commandLine} and {@code memory} bytes of RAM, stopping it
     * after {@code timeout}. {@code hook} (null: none) sees the vcpu before every entry, the first after the entry
     * state is set.
     */
    public static Result run(Backend backend, Image image, String commandLine, long memory,
                             ImageLoader.Protocol protocol, Duration timeout, EntryHook hook)
            throws LoaderException {
        ImageLoader.Options options = ImageLoader.Options.defaults(commandLine).withProtocol(protocol);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment ram = GuestRamAllocator.allocate(arena, memory);
            ImageLoader.LoadedImage loaded = ImageLoader.load(image, GuestRam.of(ram), options);
            try (Kvm kvm = Kvm.open(backend); Vm vm = kvm.createVm()) {
                if (kvm.hasExtension(Capability.SET_TSS_ADDR)) {
                    vm.setTssAddr(GuestLayout.KVM_TSS_ADDRESS);
                }
                vm.setUserMemoryRegion(0, 0, 0, ram);
                Vcpu vcpu = vm.createVcpu(0);
                vcpu.setCpuid2(kvm.supportedCpuid(arena));
                KvmSregs sregs = vcpu.getSregs(KvmSregs.allocate(arena));
                KvmRegs regs = vcpu.getRegs(KvmRegs.allocate(arena));
                loaded.entry().applyTo(regs, sregs);
                vcpu.setSregs(sregs);
                vcpu.setRegs(regs);

                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Serial16550 serial = new Serial16550(null, out);
                DebugExit debugExit = new DebugExit();
                IoBus io = new IoBus();
                io.register("serial", GuestLayout.SERIAL_PORT_BASE, GuestLayout.SERIAL_PORT_COUNT, serial);
                io.register("debug-exit", GuestLayout.DEBUG_EXIT_PORT_BASE, GuestLayout.DEBUG_EXIT_PORT_COUNT,
                        debugExit);
                List<Exit> exits = new ArrayList<>();
                VcpuPort real = VcpuPort.of(vcpu);
                VcpuPort recording = new VcpuPort() {
                    @Override
                    public KvmRun run() {
                        if (hook != null) {
                            hook.beforeEntry(exits.size(), vcpu);
                        }
                        KvmRun run = real.run();
                        ExitReason reason = run.exit();
                        if (reason == ExitReason.IO) {
                            KvmRun.Io e = run.io();
                            long data = 0;
                            if (e.direction() == IoDirection.KVM_EXIT_IO_OUT) {
                                MemorySegment d = e.data();
                                for (int i = (int) Math.min(d.byteSize(), 8) - 1; i >= 0; i--) {
                                    data = (data << 8) | (d.get(ValueLayout.JAVA_BYTE, i) & 0xff);
                                }
                            }
                            exits.add(new Exit(reason, e.direction(), e.port(), e.size(), e.count(), data,
                                    serial.bytesOut()));
                        } else {
                            exits.add(new Exit(reason, -1, -1, 0, 0, 0, serial.bytesOut()));
                        }
                        return run;
                    }

                    @Override
                    public KvmRegs regs() {
                        return real.regs();
                    }

                    @Override
                    public KvmSregs sregs() {
                        return real.sregs();
                    }
                };
                RunLoop loop = new RunLoop(recording, io, new MmioBus(), debugExit);
                Thread timer = Thread.ofPlatform().daemon().name("jkvm-test-timeout").start(() -> {
                    try {
                        Thread.sleep(timeout);
                    } catch (InterruptedException e) {
                        return;
                    }
                    loop.requestStop(new Outcome.TimedOut(timeout));
                    vcpu.kick();
                });
                Outcome outcome;
                try {
                    outcome = loop.run();
                } catch (KvmException e) {
                    outcome = new Outcome.BackendFailure(e.getMessage());
                } finally {
                    timer.interrupt();
                    serial.flush();
                }
                long instructions = -1;
                try {
                    instructions = vcpu.instructionsRetired();
                } catch (RuntimeException e) {
                    // the hardware backend cannot count instructions
                }
                return new Result(outcome, loaded.format(), out.toByteArray(), List.copyOf(exits),
                        VcpuState.of(vcpu, arena), new Ram(ram), instructions);
            }
        }
    }
}
