package io.jkvm.abi;

import static io.jkvm.abi.CTypes.anonymousUnion;
import static io.jkvm.abi.CTypes.array;
import static io.jkvm.abi.CTypes.gap;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u16;
import static io.jkvm.abi.CTypes.u32;
import static io.jkvm.abi.CTypes.u64;
import static io.jkvm.abi.CTypes.u8;
import static io.jkvm.abi.CTypes.union;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_run} (linux/kvm.h): the page a vcpu shares with userspace, through which {@code KVM_RUN} reports
 * each exit and userspace answers it.
 *
 * <p>A {@code KvmRun} wraps the <em>whole</em> vcpu mmap area ({@code KVM_GET_VCPU_MMAP_SIZE} bytes), not only
 * {@code sizeof(struct kvm_run)}: port-IO data lives at {@code io.data_offset} from the start of the area, on page
 * {@link KvmApi#KVM_PIO_PAGE_OFFSET}, past the struct. {@link #allocate(SegmentAllocator)} gives an area laid out as
 * KVM's, for backends that emulate it.
 *
 * <p>The exit union is read through one view per member, {@link #io()}, {@link #mmio()} and so on; each view is
 * created once with the {@code KvmRun} and reads the shared memory on every call, so views are only meaningful for
 * the current {@link #exit()}. {@link #cpuid()} is a jkvm extension laid over the same union.
 *
 * <p>Differences from the C declaration, all invisible in the bytes: {@code hypercall}'s last 8 bytes are
 * {@code longmode} plus an unnamed gap, because Linux 6.1 names them {@code longmode, pad} while later headers make
 * them a union of {@code longmode} and {@code __u64 flags} ({@link Hypercall#flags()} reads them that way). The
 * union members for other architectures and the {@code kvm_sync_regs} in {@code s} are not modelled; their bytes
 * are covered by the {@code padding} members.
 */
public final class KvmRun {
    /** Page size of the vcpu mmap area on x86. */
    public static final int PAGE_SIZE = 4096;

    /** {@code KVM_GET_VCPU_MMAP_SIZE} of x86 KVM: the run page, the PIO data page and the coalesced-MMIO page. */
    public static final long DEFAULT_MMAP_SIZE = (long) (KvmApi.KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * PAGE_SIZE;

    /** Where KVM puts port-IO data, from the start of the mmap area; a backend emulating KVM should do the same. */
    public static final long PIO_DATA_OFFSET = (long) KvmApi.KVM_PIO_PAGE_OFFSET * PAGE_SIZE;

    public static final StructLayout LAYOUT = struct("kvm_run",
            u8("request_interrupt_window"), u8("immediate_exit"), array("padding1", 6, u8("padding1")),
            u32("exit_reason"), u8("ready_for_interrupt_injection"), u8("if_flag"), u16("flags"),
            u64("cr8"), u64("apic_base"),
            anonymousUnion(
                    struct("hw", u64("hardware_exit_reason")),
                    struct("fail_entry", u64("hardware_entry_failure_reason"), u32("cpu"), gap(4)),
                    struct("ex", u32("exception"), u32("error_code")),
                    struct("io", u8("direction"), u8("size"), u16("port"), u32("count"), u64("data_offset")),
                    struct("debug", KvmDebugExitArch.LAYOUT.withName("arch")),
                    struct("mmio", u64("phys_addr"), array("data", 8, u8("data")), u32("len"), u8("is_write"),
                            gap(3)),
                    struct("hypercall", u64("nr"), array("args", 6, u64("args")), u64("ret"), u32("longmode"),
                            gap(4)),
                    struct("internal", u32("suberror"), u32("ndata"), array("data", 16, u64("data"))),
                    struct("system_event", u32("type"), u32("ndata"),
                            anonymousUnion(u64("flags"), array("data", 16, u64("data")))),
                    struct("msr", u8("error"), array("pad", 7, u8("pad")), u32("reason"), u32("index"),
                            u64("data")),
                    array("padding", 256, u8("padding"))),
            u64("kvm_valid_regs"), u64("kvm_dirty_regs"),
            // s also holds struct kvm_sync_regs (not modelled), which makes the union 8-byte aligned.
            union("s", array("padding", KvmApi.SYNC_REGS_SIZE_BYTES, u8("padding"))).withByteAlignment(8));

    /**
     * jkvm extension: the payload of a {@link ExitReason#JKVM_CPUID} exit, laid over the exit union (offset
     * {@link #EXIT_UNION_OFFSET}). KVM fills {@code function} and {@code index} (EAX and ECX of the CPUID);
     * userspace writes {@code eax}..{@code edx} before the next {@code KVM_RUN}.
     */
    public static final StructLayout JKVM_CPUID_LAYOUT = struct("jkvm_cpuid_exit",
            u32("function"), u32("index"), u32("eax"), u32("ebx"), u32("ecx"), u32("edx"));

    /** Offset of the exit union (all exit payloads start here). */
    public static final long EXIT_UNION_OFFSET = Layouts.offset(LAYOUT, "hw");

    private static final VarHandle REQUEST_INTERRUPT_WINDOW = Layouts.handle(LAYOUT, "request_interrupt_window");
    private static final VarHandle IMMEDIATE_EXIT = Layouts.handle(LAYOUT, "immediate_exit");
    private static final VarHandle EXIT_REASON = Layouts.handle(LAYOUT, "exit_reason");
    private static final VarHandle READY_FOR_INTERRUPT_INJECTION =
            Layouts.handle(LAYOUT, "ready_for_interrupt_injection");
    private static final VarHandle IF_FLAG = Layouts.handle(LAYOUT, "if_flag");
    private static final VarHandle FLAGS = Layouts.handle(LAYOUT, "flags");
    private static final VarHandle CR8 = Layouts.handle(LAYOUT, "cr8");
    private static final VarHandle APIC_BASE = Layouts.handle(LAYOUT, "apic_base");
    private static final VarHandle KVM_VALID_REGS = Layouts.handle(LAYOUT, "kvm_valid_regs");
    private static final VarHandle KVM_DIRTY_REGS = Layouts.handle(LAYOUT, "kvm_dirty_regs");

    private static final VarHandle HW_HARDWARE_EXIT_REASON = Layouts.handle(LAYOUT, "hw.hardware_exit_reason");
    private static final VarHandle FAIL_ENTRY_REASON =
            Layouts.handle(LAYOUT, "fail_entry.hardware_entry_failure_reason");
    private static final VarHandle FAIL_ENTRY_CPU = Layouts.handle(LAYOUT, "fail_entry.cpu");
    private static final VarHandle EX_EXCEPTION = Layouts.handle(LAYOUT, "ex.exception");
    private static final VarHandle EX_ERROR_CODE = Layouts.handle(LAYOUT, "ex.error_code");
    private static final VarHandle IO_DIRECTION = Layouts.handle(LAYOUT, "io.direction");
    private static final VarHandle IO_SIZE = Layouts.handle(LAYOUT, "io.size");
    private static final VarHandle IO_PORT = Layouts.handle(LAYOUT, "io.port");
    private static final VarHandle IO_COUNT = Layouts.handle(LAYOUT, "io.count");
    private static final VarHandle IO_DATA_OFFSET = Layouts.handle(LAYOUT, "io.data_offset");
    private static final long DEBUG_ARCH = Layouts.offset(LAYOUT, "debug.arch");
    private static final VarHandle MMIO_PHYS_ADDR = Layouts.handle(LAYOUT, "mmio.phys_addr");
    private static final long MMIO_DATA = Layouts.offset(LAYOUT, "mmio.data");
    private static final VarHandle MMIO_LEN = Layouts.handle(LAYOUT, "mmio.len");
    private static final VarHandle MMIO_IS_WRITE = Layouts.handle(LAYOUT, "mmio.is_write");
    private static final VarHandle HYPERCALL_NR = Layouts.handle(LAYOUT, "hypercall.nr");
    private static final VarHandle HYPERCALL_ARGS = Layouts.handle(LAYOUT, "hypercall.args[]");
    private static final VarHandle HYPERCALL_RET = Layouts.handle(LAYOUT, "hypercall.ret");
    private static final VarHandle HYPERCALL_LONGMODE = Layouts.handle(LAYOUT, "hypercall.longmode");
    private static final long HYPERCALL_FLAGS = Layouts.offset(LAYOUT, "hypercall.longmode");
    private static final VarHandle INTERNAL_SUBERROR = Layouts.handle(LAYOUT, "internal.suberror");
    private static final VarHandle INTERNAL_NDATA = Layouts.handle(LAYOUT, "internal.ndata");
    private static final VarHandle INTERNAL_DATA = Layouts.handle(LAYOUT, "internal.data[]");
    private static final VarHandle SYSTEM_EVENT_TYPE = Layouts.handle(LAYOUT, "system_event.type");
    private static final VarHandle SYSTEM_EVENT_NDATA = Layouts.handle(LAYOUT, "system_event.ndata");
    private static final VarHandle SYSTEM_EVENT_FLAGS = Layouts.handle(LAYOUT, "system_event.flags");
    private static final VarHandle SYSTEM_EVENT_DATA = Layouts.handle(LAYOUT, "system_event.data[]");
    private static final VarHandle MSR_ERROR = Layouts.handle(LAYOUT, "msr.error");
    private static final VarHandle MSR_REASON = Layouts.handle(LAYOUT, "msr.reason");
    private static final VarHandle MSR_INDEX = Layouts.handle(LAYOUT, "msr.index");
    private static final VarHandle MSR_DATA = Layouts.handle(LAYOUT, "msr.data");

    // The jkvm CPUID payload's handles take EXIT_UNION_OFFSET as their base offset.
    private static final VarHandle CPUID_FUNCTION = Layouts.handle(JKVM_CPUID_LAYOUT, "function");
    private static final VarHandle CPUID_INDEX = Layouts.handle(JKVM_CPUID_LAYOUT, "index");
    private static final VarHandle CPUID_EAX = Layouts.handle(JKVM_CPUID_LAYOUT, "eax");
    private static final VarHandle CPUID_EBX = Layouts.handle(JKVM_CPUID_LAYOUT, "ebx");
    private static final VarHandle CPUID_ECX = Layouts.handle(JKVM_CPUID_LAYOUT, "ecx");
    private static final VarHandle CPUID_EDX = Layouts.handle(JKVM_CPUID_LAYOUT, "edx");

    private final MemorySegment segment;
    private final Hw hw;
    private final FailEntry failEntry;
    private final Ex ex;
    private final Io io;
    private final KvmDebugExitArch debug;
    private final Mmio mmio;
    private final Hypercall hypercall;
    private final Internal internal;
    private final SystemEvent systemEvent;
    private final Msr msr;
    private final Cpuid cpuid;

    /**
     * A view of a vcpu mmap area. {@code area} must hold at least {@code LAYOUT.byteSize()} bytes; pass the whole
     * {@code KVM_GET_VCPU_MMAP_SIZE} mapping so that {@link Io#data()} can reach the PIO page.
     */
    public KvmRun(MemorySegment area) {
        this.segment = Layouts.checked(area, LAYOUT, KvmRun.class);
        this.hw = new Hw(segment);
        this.failEntry = new FailEntry(segment);
        this.ex = new Ex(segment);
        this.io = new Io(segment);
        this.debug = new KvmDebugExitArch(segment.asSlice(DEBUG_ARCH, KvmDebugExitArch.LAYOUT));
        this.mmio = new Mmio(segment);
        this.hypercall = new Hypercall(segment);
        this.internal = new Internal(segment);
        this.systemEvent = new SystemEvent(segment);
        this.msr = new Msr(segment);
        this.cpuid = new Cpuid(segment);
    }

    /** A zeroed area of {@link #DEFAULT_MMAP_SIZE} bytes, page aligned, as KVM maps it. */
    public static KvmRun allocate(SegmentAllocator allocator) {
        return allocate(allocator, DEFAULT_MMAP_SIZE);
    }

    /** A zeroed, page-aligned area of {@code mmapSize} bytes (at least {@code LAYOUT.byteSize()}). */
    public static KvmRun allocate(SegmentAllocator allocator, long mmapSize) {
        return new KvmRun(allocator.allocate(mmapSize, PAGE_SIZE).fill((byte) 0));
    }

    /** The whole mmap area. */
    public MemorySegment segment() {
        return segment;
    }

    /** In: nonzero asks for {@code KVM_EXIT_IRQ_WINDOW_OPEN} as soon as the guest can take an interrupt. */
    public int requestInterruptWindow() {
        return Byte.toUnsignedInt((byte) REQUEST_INTERRUPT_WINDOW.get(segment, 0L));
    }

    public KvmRun requestInterruptWindow(int v) {
        REQUEST_INTERRUPT_WINDOW.set(segment, 0L, Layouts.checkU8("kvm_run.request_interrupt_window", v));
        return this;
    }

    /** In: nonzero makes {@code KVM_RUN} return at once with {@code EINTR} ({@code KVM_CAP_IMMEDIATE_EXIT}). */
    public int immediateExit() {
        return Byte.toUnsignedInt((byte) IMMEDIATE_EXIT.get(segment, 0L));
    }

    public KvmRun immediateExit(int v) {
        IMMEDIATE_EXIT.set(segment, 0L, Layouts.checkU8("kvm_run.immediate_exit", v));
        return this;
    }

    /** The raw {@code exit_reason}, including numbers {@link ExitReason} does not know. */
    public int exitReason() {
        return (int) EXIT_REASON.get(segment, 0L);
    }

    public KvmRun exitReason(int v) {
        EXIT_REASON.set(segment, 0L, v);
        return this;
    }

    /** {@code exit_reason} as an {@link ExitReason}; {@link ExitReason#UNRECOGNIZED} for an unknown number. */
    public ExitReason exit() {
        return ExitReason.of(exitReason());
    }

    /** Sets {@code exit_reason}; for backends that produce exits. */
    public KvmRun exit(ExitReason reason) {
        if (reason == ExitReason.UNRECOGNIZED) {
            throw new IllegalArgumentException("UNRECOGNIZED has no number; use exitReason(int) for a raw value");
        }
        return exitReason(reason.number());
    }

    /** Out: nonzero when {@code KVM_INTERRUPT} can inject now (no in-kernel irqchip). */
    public int readyForInterruptInjection() {
        return Byte.toUnsignedInt((byte) READY_FOR_INTERRUPT_INJECTION.get(segment, 0L));
    }

    public KvmRun readyForInterruptInjection(int v) {
        READY_FOR_INTERRUPT_INJECTION.set(segment, 0L, Layouts.checkU8("kvm_run.ready_for_interrupt_injection", v));
        return this;
    }

    /** Out: the guest's RFLAGS.IF at the exit. */
    public int ifFlag() {
        return Byte.toUnsignedInt((byte) IF_FLAG.get(segment, 0L));
    }

    public KvmRun ifFlag(int v) {
        IF_FLAG.set(segment, 0L, Layouts.checkU8("kvm_run.if_flag", v));
        return this;
    }

    /** Out: {@link RunFlags} bits. */
    public int flags() {
        return Short.toUnsignedInt((short) FLAGS.get(segment, 0L));
    }

    public KvmRun flags(int v) {
        FLAGS.set(segment, 0L, Layouts.checkU16("kvm_run.flags", v));
        return this;
    }

    public long cr8() {
        return (long) CR8.get(segment, 0L);
    }

    public KvmRun cr8(long v) {
        CR8.set(segment, 0L, v);
        return this;
    }

    public long apicBase() {
        return (long) APIC_BASE.get(segment, 0L);
    }

    public KvmRun apicBase(long v) {
        APIC_BASE.set(segment, 0L, v);
        return this;
    }

    /** {@code KVM_SYNC_X86_*} bits: which register sets KVM stored in {@code s} ({@code KVM_CAP_SYNC_REGS}). */
    public long kvmValidRegs() {
        return (long) KVM_VALID_REGS.get(segment, 0L);
    }

    public KvmRun kvmValidRegs(long v) {
        KVM_VALID_REGS.set(segment, 0L, v);
        return this;
    }

    /** {@code KVM_SYNC_X86_*} bits: which register sets userspace changed in {@code s}. */
    public long kvmDirtyRegs() {
        return (long) KVM_DIRTY_REGS.get(segment, 0L);
    }

    public KvmRun kvmDirtyRegs(long v) {
        KVM_DIRTY_REGS.set(segment, 0L, v);
        return this;
    }

    /** {@code hw}, for {@link ExitReason#UNKNOWN}. */
    public Hw hw() {
        return hw;
    }

    /** {@code fail_entry}, for {@link ExitReason#FAIL_ENTRY}. */
    public FailEntry failEntry() {
        return failEntry;
    }

    /** {@code ex}, for {@link ExitReason#EXCEPTION}. */
    public Ex ex() {
        return ex;
    }

    /** {@code io}, for {@link ExitReason#IO}. */
    public Io io() {
        return io;
    }

    /** {@code debug.arch}, for {@link ExitReason#DEBUG}. */
    public KvmDebugExitArch debug() {
        return debug;
    }

    /** {@code mmio}, for {@link ExitReason#MMIO}. */
    public Mmio mmio() {
        return mmio;
    }

    /** {@code hypercall}, for {@link ExitReason#HYPERCALL}. */
    public Hypercall hypercall() {
        return hypercall;
    }

    /** {@code internal}, for {@link ExitReason#INTERNAL_ERROR}. */
    public Internal internal() {
        return internal;
    }

    /** {@code system_event}, for {@link ExitReason#SYSTEM_EVENT}. */
    public SystemEvent systemEvent() {
        return systemEvent;
    }

    /** {@code msr}, for {@link ExitReason#X86_RDMSR} and {@link ExitReason#X86_WRMSR}. */
    public Msr msr() {
        return msr;
    }

    /** jkvm extension: the CPUID payload ({@link #JKVM_CPUID_LAYOUT}), for {@link ExitReason#JKVM_CPUID}. */
    public Cpuid cpuid() {
        return cpuid;
    }

    /** {@code kvm_run.hw}: the hardware exit reason KVM could not classify. */
    public static final class Hw {
        private final MemorySegment run;

        private Hw(MemorySegment run) {
            this.run = run;
        }

        /** VMX basic exit reason or SVM exit code. */
        public long hardwareExitReason() {
            return (long) HW_HARDWARE_EXIT_REASON.get(run, 0L);
        }

        public Hw hardwareExitReason(long v) {
            HW_HARDWARE_EXIT_REASON.set(run, 0L, v);
            return this;
        }
    }

    /** {@code kvm_run.fail_entry}: why VM entry failed. */
    public static final class FailEntry {
        private final MemorySegment run;

        private FailEntry(MemorySegment run) {
            this.run = run;
        }

        /** VMX: the exit reason with bit 31 set (e.g. 0x80000021, invalid guest state); SVM: the exit code. */
        public long hardwareEntryFailureReason() {
            return (long) FAIL_ENTRY_REASON.get(run, 0L);
        }

        public FailEntry hardwareEntryFailureReason(long v) {
            FAIL_ENTRY_REASON.set(run, 0L, v);
            return this;
        }

        /** The host CPU the entry failed on. */
        public int cpu() {
            return (int) FAIL_ENTRY_CPU.get(run, 0L);
        }

        public FailEntry cpu(int v) {
            FAIL_ENTRY_CPU.set(run, 0L, v);
            return this;
        }
    }

    /** {@code kvm_run.ex}: an exception KVM returns to userspace. */
    public static final class Ex {
        private final MemorySegment run;

        private Ex(MemorySegment run) {
            this.run = run;
        }

        /** The vector, one of {@link ExceptionVector}. */
        public int exception() {
            return (int) EX_EXCEPTION.get(run, 0L);
        }

        public Ex exception(int v) {
            EX_EXCEPTION.set(run, 0L, v);
            return this;
        }

        public int errorCode() {
            return (int) EX_ERROR_CODE.get(run, 0L);
        }

        public Ex errorCode(int v) {
            EX_ERROR_CODE.set(run, 0L, v);
            return this;
        }
    }

    /**
     * {@code kvm_run.io}: a port access of {@code count} items of {@code size} bytes (count &gt; 1 for REP INS/OUTS).
     * For OUT the bytes are in {@link #data()}; for IN userspace writes them there before the next {@code KVM_RUN}.
     */
    public static final class Io {
        private final MemorySegment run;

        private Io(MemorySegment run) {
            this.run = run;
        }

        /** {@link IoDirection#KVM_EXIT_IO_IN} or {@link IoDirection#KVM_EXIT_IO_OUT}. */
        public int direction() {
            return Byte.toUnsignedInt((byte) IO_DIRECTION.get(run, 0L));
        }

        public Io direction(int v) {
            IO_DIRECTION.set(run, 0L, Layouts.checkU8("kvm_run.io.direction", v));
            return this;
        }

        /** Bytes per item: 1, 2 or 4. */
        public int size() {
            return Byte.toUnsignedInt((byte) IO_SIZE.get(run, 0L));
        }

        public Io size(int v) {
            IO_SIZE.set(run, 0L, Layouts.checkU8("kvm_run.io.size", v));
            return this;
        }

        public int port() {
            return Short.toUnsignedInt((short) IO_PORT.get(run, 0L));
        }

        public Io port(int v) {
            IO_PORT.set(run, 0L, Layouts.checkU16("kvm_run.io.port", v));
            return this;
        }

        /** Number of items; a {@code __u32}, use {@link Integer#toUnsignedLong} for arithmetic. */
        public int count() {
            return (int) IO_COUNT.get(run, 0L);
        }

        public Io count(int v) {
            IO_COUNT.set(run, 0L, v);
            return this;
        }

        /** Offset of the data from the start of the mmap area ({@link #PIO_DATA_OFFSET} under KVM). */
        public long dataOffset() {
            return (long) IO_DATA_OFFSET.get(run, 0L);
        }

        public Io dataOffset(long v) {
            IO_DATA_OFFSET.set(run, 0L, v);
            return this;
        }

        /**
         * The {@code size * count} data bytes at {@code data_offset}, a slice of the mmap area.
         *
         * @throws IllegalStateException if they lie outside the area, i.e. the {@code KvmRun} wraps less than the
         *                               whole mmap area or {@code io} holds garbage (not an IO exit)
         */
        public MemorySegment data() {
            long offset = dataOffset();
            long length = (long) size() * Integer.toUnsignedLong(count());
            if (offset < 0 || offset > run.byteSize() || length > run.byteSize() - offset) {
                throw new IllegalStateException("kvm_run.io data is at bytes [" + Long.toUnsignedString(offset) + ", +"
                        + length + ") but the vcpu mmap area has " + run.byteSize() + " bytes; wrap the whole "
                        + "KVM_GET_VCPU_MMAP_SIZE area in KvmRun, and read io only on a KVM_EXIT_IO");
            }
            return run.asSlice(offset, length);
        }
    }

    /**
     * {@code kvm_run.mmio}: a guest access of {@code len} bytes (1..8) at {@code phys_addr}. For a write the bytes
     * are in {@link #data()}; for a read userspace writes them there before the next {@code KVM_RUN}.
     */
    public static final class Mmio {
        private final MemorySegment run;
        private final MemorySegment data;

        private Mmio(MemorySegment run) {
            this.run = run;
            this.data = run.asSlice(MMIO_DATA, 8);
        }

        public long physAddr() {
            return (long) MMIO_PHYS_ADDR.get(run, 0L);
        }

        public Mmio physAddr(long v) {
            MMIO_PHYS_ADDR.set(run, 0L, v);
            return this;
        }

        /** The 8 bytes of {@code data}, little-endian; only the first {@code len} are meaningful. */
        public MemorySegment data() {
            return data;
        }

        public int len() {
            return (int) MMIO_LEN.get(run, 0L);
        }

        public Mmio len(int v) {
            MMIO_LEN.set(run, 0L, v);
            return this;
        }

        /** 1 for a write, 0 for a read. */
        public int isWrite() {
            return Byte.toUnsignedInt((byte) MMIO_IS_WRITE.get(run, 0L));
        }

        public Mmio isWrite(int v) {
            MMIO_IS_WRITE.set(run, 0L, Layouts.checkU8("kvm_run.mmio.is_write", v));
            return this;
        }
    }

    /** {@code kvm_run.hypercall}: a hypercall forwarded to userspace ({@code KVM_CAP_EXIT_HYPERCALL}). */
    public static final class Hypercall {
        /** Number of {@code args}. */
        public static final int ARGS = 6;

        private final MemorySegment run;

        private Hypercall(MemorySegment run) {
            this.run = run;
        }

        /** The hypercall number (RAX). */
        public long nr() {
            return (long) HYPERCALL_NR.get(run, 0L);
        }

        public Hypercall nr(long v) {
            HYPERCALL_NR.set(run, 0L, v);
            return this;
        }

        /** {@code args[i]}, {@code i} in 0..5: the hypercall's arguments (RBX, RCX, RDX, RSI for KVM's ABI). */
        public long args(int i) {
            return (long) HYPERCALL_ARGS.get(run, 0L, (long) i);
        }

        public Hypercall args(int i, long v) {
            HYPERCALL_ARGS.set(run, 0L, (long) i, v);
            return this;
        }

        /** Written by userspace: the value KVM puts in RAX when the guest resumes. */
        public long ret() {
            return (long) HYPERCALL_RET.get(run, 0L);
        }

        public Hypercall ret(long v) {
            HYPERCALL_RET.set(run, 0L, v);
            return this;
        }

        /** 1 if the guest was in 64-bit mode (the Linux 6.1 field). */
        public int longmode() {
            return (int) HYPERCALL_LONGMODE.get(run, 0L);
        }

        public Hypercall longmode(int v) {
            HYPERCALL_LONGMODE.set(run, 0L, v);
            return this;
        }

        /**
         * The same 8 bytes as {@code longmode} plus the following pad, read as the {@code __u64 flags} of later
         * headers, where bit 0 ({@code KVM_EXIT_HYPERCALL_LONG_MODE}) means 64-bit mode.
         */
        public long flags() {
            return run.get(JAVA_LONG, HYPERCALL_FLAGS);
        }

        public Hypercall flags(long v) {
            run.set(JAVA_LONG, HYPERCALL_FLAGS, v);
            return this;
        }
    }

    /** {@code kvm_run.internal}: details of a {@link ExitReason#INTERNAL_ERROR}. */
    public static final class Internal {
        /** Capacity of {@code data}. */
        public static final int DATA = 16;

        private final MemorySegment run;

        private Internal(MemorySegment run) {
            this.run = run;
        }

        /** One of {@link InternalErrorSuberror}. */
        public int suberror() {
            return (int) INTERNAL_SUBERROR.get(run, 0L);
        }

        public Internal suberror(int v) {
            INTERNAL_SUBERROR.set(run, 0L, v);
            return this;
        }

        /** How many {@code data} words are valid ({@code KVM_CAP_INTERNAL_ERROR_DATA}). */
        public int ndata() {
            return (int) INTERNAL_NDATA.get(run, 0L);
        }

        public Internal ndata(int v) {
            INTERNAL_NDATA.set(run, 0L, v);
            return this;
        }

        /** {@code data[i]}, {@code i} in 0..15. */
        public long data(int i) {
            return (long) INTERNAL_DATA.get(run, 0L, (long) i);
        }

        public Internal data(int i, long v) {
            INTERNAL_DATA.set(run, 0L, (long) i, v);
            return this;
        }
    }

    /** {@code kvm_run.system_event}: a shutdown, reset or crash request. */
    public static final class SystemEvent {
        /** Capacity of {@code data}. */
        public static final int DATA = 16;

        private final MemorySegment run;

        private SystemEvent(MemorySegment run) {
            this.run = run;
        }

        /** One of {@link SystemEventType}. */
        public int type() {
            return (int) SYSTEM_EVENT_TYPE.get(run, 0L);
        }

        public SystemEvent type(int v) {
            SYSTEM_EVENT_TYPE.set(run, 0L, v);
            return this;
        }

        /** How many {@code data} words are valid ({@code KVM_CAP_SYSTEM_EVENT_DATA}). */
        public int ndata() {
            return (int) SYSTEM_EVENT_NDATA.get(run, 0L);
        }

        public SystemEvent ndata(int v) {
            SYSTEM_EVENT_NDATA.set(run, 0L, v);
            return this;
        }

        /** The pre-5.18 {@code flags}, which is {@code data[0]}. */
        public long flags() {
            return (long) SYSTEM_EVENT_FLAGS.get(run, 0L);
        }

        public SystemEvent flags(long v) {
            SYSTEM_EVENT_FLAGS.set(run, 0L, v);
            return this;
        }

        /** {@code data[i]}, {@code i} in 0..15. */
        public long data(int i) {
            return (long) SYSTEM_EVENT_DATA.get(run, 0L, (long) i);
        }

        public SystemEvent data(int i, long v) {
            SYSTEM_EVENT_DATA.set(run, 0L, (long) i, v);
            return this;
        }
    }

    /** {@code kvm_run.msr}: an RDMSR or WRMSR that KVM hands to userspace. */
    public static final class Msr {
        private final MemorySegment run;

        private Msr(MemorySegment run) {
            this.run = run;
        }

        /** Written by userspace: nonzero makes the guest's RDMSR/WRMSR raise #GP. */
        public int error() {
            return Byte.toUnsignedInt((byte) MSR_ERROR.get(run, 0L));
        }

        public Msr error(int v) {
            MSR_ERROR.set(run, 0L, Layouts.checkU8("kvm_run.msr.error", v));
            return this;
        }

        /** One of {@link MsrExitReason}. */
        public int reason() {
            return (int) MSR_REASON.get(run, 0L);
        }

        public Msr reason(int v) {
            MSR_REASON.set(run, 0L, v);
            return this;
        }

        /** The MSR number (ECX), a {@code __u32}. */
        public int index() {
            return (int) MSR_INDEX.get(run, 0L);
        }

        public Msr index(int v) {
            MSR_INDEX.set(run, 0L, v);
            return this;
        }

        /** WRMSR: the value written (EDX:EAX). RDMSR: written by userspace, the value read. */
        public long data() {
            return (long) MSR_DATA.get(run, 0L);
        }

        public Msr data(long v) {
            MSR_DATA.set(run, 0L, v);
            return this;
        }
    }

    /**
     * jkvm extension: the {@link ExitReason#JKVM_CPUID} payload ({@link #JKVM_CPUID_LAYOUT} at
     * {@link #EXIT_UNION_OFFSET}). All fields are {@code __u32} returned as {@code int}.
     */
    public static final class Cpuid {
        private final MemorySegment run;

        private Cpuid(MemorySegment run) {
            this.run = run;
        }

        /** The leaf (EAX on entry to CPUID). */
        public int function() {
            return (int) CPUID_FUNCTION.get(run, EXIT_UNION_OFFSET);
        }

        public Cpuid function(int v) {
            CPUID_FUNCTION.set(run, EXIT_UNION_OFFSET, v);
            return this;
        }

        /** The subleaf (ECX on entry to CPUID). */
        public int index() {
            return (int) CPUID_INDEX.get(run, EXIT_UNION_OFFSET);
        }

        public Cpuid index(int v) {
            CPUID_INDEX.set(run, EXIT_UNION_OFFSET, v);
            return this;
        }

        public int eax() {
            return (int) CPUID_EAX.get(run, EXIT_UNION_OFFSET);
        }

        public Cpuid eax(int v) {
            CPUID_EAX.set(run, EXIT_UNION_OFFSET, v);
            return this;
        }

        public int ebx() {
            return (int) CPUID_EBX.get(run, EXIT_UNION_OFFSET);
        }

        public Cpuid ebx(int v) {
            CPUID_EBX.set(run, EXIT_UNION_OFFSET, v);
            return this;
        }

        public int ecx() {
            return (int) CPUID_ECX.get(run, EXIT_UNION_OFFSET);
        }

        public Cpuid ecx(int v) {
            CPUID_ECX.set(run, EXIT_UNION_OFFSET, v);
            return this;
        }

        public int edx() {
            return (int) CPUID_EDX.get(run, EXIT_UNION_OFFSET);
        }

        public Cpuid edx(int v) {
            CPUID_EDX.set(run, EXIT_UNION_OFFSET, v);
            return this;
        }
    }
}
