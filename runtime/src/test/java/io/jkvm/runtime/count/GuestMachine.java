package io.jkvm.runtime.count;

import io.jkvm.abi.Capability;
import io.jkvm.abi.ExitReason;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSregs;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.GuestLayout;
import io.jkvm.runtime.Kvm;
import io.jkvm.runtime.Vcpu;
import io.jkvm.runtime.Vm;
import io.jkvm.runtime.devices.DebugExit;
import io.jkvm.runtime.devices.IoBus;
import io.jkvm.runtime.devices.Serial16550;
import io.jkvm.runtime.loader.GuestRam;
import io.jkvm.runtime.loader.Image;
import io.jkvm.runtime.loader.ImageLoader;
import io.jkvm.runtime.loader.LoaderException;
import io.jkvm.runtime.loader.TestGuests;
import io.jkvm.runtime.vmm.GuestRamAllocator;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

/**
 * A built-in guest on one vcpu with the devices it uses (16550 serial, debug-exit port), driven by the test one
 * {@code KVM_RUN} exit at a time, so that a test can stop it with an instruction budget and resume it. The
 * {@code GuestRunner} of the runtime runs a guest from start to end; this is the same setup with the loop opened up.
 */
final class GuestMachine implements AutoCloseable {
    /** Why {@link #runUntilStop} returned. */
    enum Stop {
        /** The guest wrote its exit status to the debug-exit port. */
        EXITED,
        /** {@code JKVM_EXIT_BUDGET}: the instruction budget was reached. */
        BUDGET
    }

    private final Arena arena = Arena.ofShared();
    private final Kvm kvm;
    private final Vcpu vcpu;
    private final IoBus io = new IoBus();
    private final DebugExit debugExit = new DebugExit();
    private final Serial16550 serial;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    /** Loads {@code guest}'s image (guests/target/images/GUEST.elf) with command line {@code "GUEST ARGS"}. */
    GuestMachine(Backend backend, String guest, String args) throws LoaderException {
        MemorySegment ram = GuestRamAllocator.allocate(arena, 64L << 20);
        ImageLoader.LoadedImage loaded = ImageLoader.load(Image.read(TestGuests.image(guest + ".elf")),
                GuestRam.of(ram), ImageLoader.Options.defaults(guest + " " + args));
        kvm = Kvm.open(backend);
        try {
            Vm vm = kvm.createVm();
            if (kvm.hasExtension(Capability.SET_TSS_ADDR)) {
                vm.setTssAddr(GuestLayout.KVM_TSS_ADDRESS);
            }
            vm.setUserMemoryRegion(0, 0, 0, ram);
            vcpu = vm.createVcpu(0);
            vcpu.setCpuid2(kvm.supportedCpuid(arena));
            KvmSregs sregs = vcpu.getSregs(KvmSregs.allocate(arena));
            KvmRegs regs = vcpu.getRegs(KvmRegs.allocate(arena));
            loaded.entry().applyTo(regs, sregs);
            vcpu.setSregs(sregs);
            vcpu.setRegs(regs);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
        serial = new Serial16550(null, output);
        io.register("serial", GuestLayout.SERIAL_PORT_BASE, GuestLayout.SERIAL_PORT_COUNT, serial);
        io.register("debug-exit", GuestLayout.DEBUG_EXIT_PORT_BASE, GuestLayout.DEBUG_EXIT_PORT_COUNT, debugExit);
    }

    Vcpu vcpu() {
        return vcpu;
    }

    /** Runs until the guest exits through the debug-exit port or its instruction budget stops it. */
    Stop runUntilStop() {
        while (true) {
            KvmRun run = vcpu.run();
            ExitReason reason = run.exit();
            switch (reason) {
                case IO -> {
                    io.handle(run.io());
                    if (debugExit.status().isPresent()) {
                        return Stop.EXITED;
                    }
                }
                case JKVM_BUDGET -> {
                    return Stop.BUDGET;
                }
                case INTR -> {
                    // a spurious kick: go on
                }
                default -> throw new AssertionError("unexpected exit " + reason.cName() + " at RIP=0x"
                        + Long.toHexString(vcpu.getRegs().rip()) + "; serial so far:\n" + output());
            }
        }
    }

    /** The exit status the guest wrote to the debug-exit port. */
    OptionalInt exitStatus() {
        return debugExit.status();
    }

    /** Everything the guest printed on its serial port. */
    String output() {
        serial.flush();
        return output.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            kvm.close();
        } finally {
            arena.close();
        }
    }
}
