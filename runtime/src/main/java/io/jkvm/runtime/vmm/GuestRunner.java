package io.jkvm.runtime.vmm;

import io.jkvm.abi.Capability;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmRegs;
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
import io.jkvm.runtime.loader.Sizes;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * jkvm's VMM: runs one guest image on one vcpu from start to end and reports how it ended and what it cost. This is
 * library code (package {@code io.jkvm.runtime.vmm}, usable from tests and benches); the {@code jkvm} command in
 * {@code io.jkvm.runtime.cli} is a thin layer over it that prints and exits.
 *
 * <p>One run: allocate RAM ({@link GuestRamAllocator}, one slot at guest-physical 0), load the image
 * ({@link ImageLoader}: format detection, validation, boot structures), open the backend, create the VM and vcpu, give
 * it the backend's supported CPUID, set the entry state, put the 16550 on 0x3f8 and the debug-exit port on 0xf4, and
 * run the {@link RunLoop} until the guest is done. Everything is closed when {@link #run} returns.
 *
 * <pre>{@code
 * RunResult r = GuestRunner.builder().backend(Backend.JIT).memory(64 << 20)
 *         .serialOutput(System.out).build()
 *         .run(Image.read(Path.of("guests/target/images/hello.elf")), "hello");
 * }</pre>
 */
public final class GuestRunner {
    private final Backend backend;
    private final long memorySize;
    private final ImageLoader.Protocol protocol;
    private final long flatLoadAddress;
    private final io.jkvm.runtime.loader.EntryState.RealMode flatEntry;
    private final Duration timeout;
    private final InputStream serialInput;
    private final OutputStream serialOutput;

    private GuestRunner(Builder b) {
        this.backend = b.backend;
        this.memorySize = b.memorySize;
        this.protocol = b.protocol;
        this.flatLoadAddress = b.flatLoadAddress;
        this.flatEntry = b.flatEntry;
        this.timeout = b.timeout;
        this.serialInput = b.serialInput;
        this.serialOutput = b.serialOutput;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How a run ended, what was loaded, and the statistics. */
    public record RunResult(Outcome outcome, ImageLoader.LoadedImage loaded, RunStatistics statistics) {
    }

    /**
     * Runs {@code image} with {@code commandLine} as its multiboot command line (null: none).
     *
     * @param argumentsGiven true when the command line carries user arguments: a flat binary, which cannot receive
     *                       them, is then refused instead of silently dropping them
     * @throws LoaderException if the image cannot be loaded (nothing has run)
     * @throws KvmException    if the backend cannot be opened or refuses the setup
     */
    public RunResult run(Image image, String commandLine, boolean argumentsGiven) throws LoaderException {
        long t0 = System.nanoTime();
        ImageLoader.Options options = new ImageLoader.Options(protocol, commandLine, argumentsGiven, flatLoadAddress,
                flatEntry);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment ram = GuestRamAllocator.allocate(arena, memorySize);
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

                Serial16550 serial = new Serial16550(serialInput, serialOutput);
                DebugExit debugExit = new DebugExit();
                IoBus io = new IoBus();
                io.register("serial", GuestLayout.SERIAL_PORT_BASE, GuestLayout.SERIAL_PORT_COUNT, serial);
                io.register("debug-exit", GuestLayout.DEBUG_EXIT_PORT_BASE, GuestLayout.DEBUG_EXIT_PORT_COUNT,
                        debugExit);
                MmioBus mmio = new MmioBus();
                RunLoop loop = new RunLoop(VcpuPort.of(vcpu), io, mmio, debugExit);

                long t1 = System.nanoTime();
                Thread timer = startTimer(loop, vcpu);
                Outcome outcome;
                try {
                    outcome = loop.run();
                } catch (KvmException e) {
                    outcome = new Outcome.BackendFailure(e.getMessage());
                } finally {
                    if (timer != null) {
                        timer.interrupt();
                    }
                    serial.flush();
                }
                long t2 = System.nanoTime();
                Map<String, Object> backendStats = backendStatistics(vcpu);
                OptionalLong instructions = backendStats.get(BackendStatistics.GUEST_INSTRUCTIONS) instanceof Number n
                        ? OptionalLong.of(n.longValue()) : OptionalLong.empty();
                Map<String, Long> exits = new LinkedHashMap<>();
                for (Map.Entry<ExitReason, Long> e : loop.exitsByReason().entrySet()) {
                    exits.put(e.getKey() == ExitReason.UNRECOGNIZED ? "unrecognized" : e.getKey().cName(), e.getValue());
                }
                RunStatistics stats = new RunStatistics(backend.cliName(), image.name(), loaded.format().description(),
                        loaded.entry().toString(), memorySize, outcome.describe(), exits, io.accessesByDevice(),
                        io.unmapped().counts(), io.unmapped().untrackedAccesses(), mmio.unmapped().counts(),
                        mmio.unmapped().untrackedAccesses(), serial.bytesOut(), serial.bytesIn(), t1 - t0, t2 - t1,
                        System.nanoTime() - t0, loop.firstExitNanos(), instructions, backendStats);
                return new RunResult(outcome, loaded, stats);
            }
        }
    }

    private Thread startTimer(RunLoop loop, Vcpu vcpu) {
        if (timeout == null) {
            return null;
        }
        return Thread.ofPlatform().daemon().name("jkvm-timeout").start(() -> {
            try {
                Thread.sleep(timeout);
            } catch (InterruptedException e) {
                return;
            }
            loop.requestStop(new Outcome.TimedOut(timeout));
            vcpu.kick();
        });
    }

    /** The backend's counters ({@link Vcpu#statistics()}); a failing backend is reported, not fatal. */
    private static Map<String, Object> backendStatistics(Vcpu vcpu) {
        try {
            Map<String, Object> m = vcpu.statistics();
            return m == null ? Map.of() : m;
        } catch (RuntimeException e) {
            return Map.of("statistics_error", String.valueOf(e.getMessage()));
        }
    }

    /** Settings of a {@link GuestRunner}; every one has a default. */
    public static final class Builder {
        private Backend backend = Backend.JIT;
        private long memorySize = GuestLayout.RAM_DEFAULT_SIZE;
        private ImageLoader.Protocol protocol = ImageLoader.Protocol.AUTO;
        private long flatLoadAddress = GuestLayout.FLAT_LOAD_DEFAULT;
        private io.jkvm.runtime.loader.EntryState.RealMode flatEntry;
        private Duration timeout;
        private InputStream serialInput;
        private OutputStream serialOutput = OutputStream.nullOutputStream();

        private Builder() {
        }

        /** The backend (default {@link Backend#JIT}). */
        public Builder backend(Backend b) {
            this.backend = Objects.requireNonNull(b, "backend");
            return this;
        }

        /**
         * Guest RAM in bytes (default 256 MiB): a multiple of 4 KiB from 2 MiB up to 3 GiB (RAM is one slot below the
         * MMIO hole at 0xc0000000).
         *
         * @throws IllegalArgumentException naming the limit that was broken
         */
        public Builder memory(long bytes) {
            if (bytes % GuestLayout.PAGE_SIZE != 0) {
                throw new IllegalArgumentException("memory size " + bytes + " is not a multiple of 4 KiB");
            }
            if (bytes < GuestLayout.RAM_MIN_SIZE) {
                throw new IllegalArgumentException("memory size " + Sizes.format(bytes) + " is below the minimum of "
                        + Sizes.format(GuestLayout.RAM_MIN_SIZE));
            }
            if (bytes > GuestLayout.RAM_MAX_SIZE) {
                throw new IllegalArgumentException("memory size " + Sizes.format(bytes) + " is above the maximum of "
                        + Sizes.format(GuestLayout.RAM_MAX_SIZE) + " (RAM ends at the MMIO hole at 0x"
                        + Long.toHexString(GuestLayout.MMIO_HOLE_START) + ")");
            }
            this.memorySize = bytes;
            return this;
        }

        /** How to boot (default: detect). */
        public Builder protocol(ImageLoader.Protocol p) {
            this.protocol = Objects.requireNonNull(p, "protocol");
            return this;
        }

        /** Where flat binaries load (default 0x7c00). */
        public Builder flatLoadAddress(long address) {
            this.flatLoadAddress = address;
            return this;
        }

        /** Real-mode entry of flat binaries (default: derived from the load address, 0000:7C00 for the default). */
        public Builder flatEntry(io.jkvm.runtime.loader.EntryState.RealMode entry) {
            this.flatEntry = entry;
            return this;
        }

        /** Stop the guest after this long (default: never). */
        public Builder timeout(Duration d) {
            if (d != null && (d.isNegative() || d.isZero())) {
                throw new IllegalArgumentException("timeout must be positive, got " + d);
            }
            this.timeout = d;
            return this;
        }

        /** Serial input, read without blocking (default: none). */
        public Builder serialInput(InputStream in) {
            this.serialInput = in;
            return this;
        }

        /** Serial output (default: discarded). */
        public Builder serialOutput(OutputStream out) {
            this.serialOutput = Objects.requireNonNull(out, "serialOutput");
            return this;
        }

        public GuestRunner build() {
            return new GuestRunner(this);
        }
    }
}
