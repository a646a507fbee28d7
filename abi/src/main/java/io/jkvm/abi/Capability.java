package io.jkvm.abi;

import java.util.HashMap;
import java.util.Map;

/**
 * KVM capabilities, the argument of {@code KVM_CHECK_EXTENSION} and {@code kvm_enable_cap.cap}: every
 * {@code KVM_CAP_*} of {@code <linux/kvm.h>} (Linux 6.1 uapi) with its number, plus jkvm's extensions. Constant
 * names drop the {@code KVM_CAP_} prefix; {@link #cName()} gives the C macro name. Most capabilities belong to
 * other architectures; they are listed so that any number a VMM passes can be named in messages.
 */
public enum Capability {
    /** In-kernel PIC, IOAPIC and local APICs ({@code KVM_CREATE_IRQCHIP}). */
    IRQCHIP(0),
    /** HLT can exit to userspace ({@code KVM_EXIT_HLT}). */
    HLT(1),
    MMU_SHADOW_CACHE_CONTROL(2),
    /** {@code KVM_SET_USER_MEMORY_REGION}; required by every modern VMM. */
    USER_MEMORY(3),
    /** {@code KVM_SET_TSS_ADDR} (needed on Intel hosts for real mode without unrestricted guest). */
    SET_TSS_ADDR(4),
    VAPIC(6),
    /** {@code KVM_GET_SUPPORTED_CPUID} and {@code KVM_SET_CPUID2}. */
    EXT_CPUID(7),
    CLOCKSOURCE(8),
    /** Returns the recommended maximum number of vcpus. */
    NR_VCPUS(9),
    /** Returns the maximum number of memory slots. */
    NR_MEMSLOTS(10),
    PIT(11),
    NOP_IO_DELAY(12),
    PV_MMU(13),
    /** {@code KVM_GET_MP_STATE} and {@code KVM_SET_MP_STATE}. */
    MP_STATE(14),
    COALESCED_MMIO(15),
    SYNC_MMU(16),
    IOMMU(18),
    DESTROY_MEMORY_REGION_WORKS(21),
    USER_NMI(22),
    /** {@code KVM_SET_GUEST_DEBUG}. */
    SET_GUEST_DEBUG(23),
    REINJECT_CONTROL(24),
    IRQ_ROUTING(25),
    IRQ_INJECT_STATUS(26),
    ASSIGN_DEV_IRQ(29),
    JOIN_MEMORY_REGIONS_WORKS(30),
    MCE(31),
    IRQFD(32),
    PIT2(33),
    SET_BOOT_CPU_ID(34),
    PIT_STATE2(35),
    IOEVENTFD(36),
    /** {@code KVM_SET_IDENTITY_MAP_ADDR}. */
    SET_IDENTITY_MAP_ADDR(37),
    /** {@code KVM_XEN_HVM_CONFIG}; returns the supported {@code KVM_XEN_HVM_CONFIG_*} flags. */
    XEN_HVM(38),
    ADJUST_CLOCK(39),
    /** {@code kvm_run.internal} carries {@code ndata} and {@code data}. */
    INTERNAL_ERROR_DATA(40),
    VCPU_EVENTS(41),
    S390_PSW(42),
    PPC_SEGSTATE(43),
    HYPERV(44),
    HYPERV_VAPIC(45),
    HYPERV_SPIN(46),
    PCI_SEGMENT(47),
    PPC_PAIRED_SINGLES(48),
    INTR_SHADOW(49),
    DEBUGREGS(50),
    X86_ROBUST_SINGLESTEP(51),
    PPC_OSI(52),
    PPC_UNSET_IRQ(53),
    /** {@code KVM_ENABLE_CAP} on vcpus. */
    ENABLE_CAP(54),
    XSAVE(55),
    XCRS(56),
    PPC_GET_PVINFO(57),
    PPC_IRQ_LEVEL(58),
    ASYNC_PF(59),
    TSC_CONTROL(60),
    GET_TSC_KHZ(61),
    PPC_BOOKE_SREGS(62),
    SPAPR_TCE(63),
    PPC_SMT(64),
    PPC_RMA(65),
    /** Returns the maximum number of vcpus per VM. */
    MAX_VCPUS(66),
    PPC_HIOR(67),
    PPC_PAPR(68),
    SW_TLB(69),
    ONE_REG(70),
    S390_GMAP(71),
    TSC_DEADLINE_TIMER(72),
    S390_UCONTROL(73),
    /** Registers synced through {@code kvm_run.s}. */
    SYNC_REGS(74),
    PCI_2_3(75),
    KVMCLOCK_CTRL(76),
    SIGNAL_MSI(77),
    PPC_GET_SMMU_INFO(78),
    S390_COW(79),
    PPC_ALLOC_HTAB(80),
    /** {@code KVM_MEM_READONLY} slots. */
    READONLY_MEM(81),
    IRQFD_RESAMPLE(82),
    PPC_BOOKE_WATCHDOG(83),
    PPC_HTAB_FD(84),
    S390_CSS_SUPPORT(85),
    PPC_EPR(86),
    ARM_PSCI(87),
    ARM_SET_DEVICE_ADDR(88),
    DEVICE_CTRL(89),
    IRQ_MPIC(90),
    PPC_RTAS(91),
    IRQ_XICS(92),
    ARM_EL1_32BIT(93),
    SPAPR_MULTITCE(94),
    EXT_EMUL_CPUID(95),
    HYPERV_TIME(96),
    IOAPIC_POLARITY_IGNORED(97),
    ENABLE_CAP_VM(98),
    S390_IRQCHIP(99),
    IOEVENTFD_NO_LENGTH(100),
    VM_ATTRIBUTES(101),
    ARM_PSCI_0_2(102),
    PPC_FIXUP_HCALL(103),
    PPC_ENABLE_HCALL(104),
    CHECK_EXTENSION_VM(105),
    S390_USER_SIGP(106),
    S390_VECTOR_REGISTERS(107),
    S390_MEM_OP(108),
    S390_USER_STSI(109),
    S390_SKEYS(110),
    MIPS_FPU(111),
    MIPS_MSA(112),
    S390_INJECT_IRQ(113),
    S390_IRQ_STATE(114),
    PPC_HWRNG(115),
    DISABLE_QUIRKS(116),
    X86_SMM(117),
    MULTI_ADDRESS_SPACE(118),
    GUEST_DEBUG_HW_BPS(119),
    GUEST_DEBUG_HW_WPS(120),
    SPLIT_IRQCHIP(121),
    IOEVENTFD_ANY_LENGTH(122),
    HYPERV_SYNIC(123),
    S390_RI(124),
    SPAPR_TCE_64(125),
    ARM_PMU_V3(126),
    VCPU_ATTRIBUTES(127),
    MAX_VCPU_ID(128),
    X2APIC_API(129),
    S390_USER_INSTR0(130),
    MSI_DEVID(131),
    PPC_HTM(132),
    SPAPR_RESIZE_HPT(133),
    PPC_MMU_RADIX(134),
    PPC_MMU_HASH_V3(135),
    /** {@code kvm_run.immediate_exit}. */
    IMMEDIATE_EXIT(136),
    MIPS_VZ(137),
    MIPS_TE(138),
    MIPS_64BIT(139),
    S390_GS(140),
    S390_AIS(141),
    SPAPR_TCE_VFIO(142),
    X86_DISABLE_EXITS(143),
    ARM_USER_IRQ(144),
    S390_CMMA_MIGRATION(145),
    PPC_FWNMI(146),
    PPC_SMT_POSSIBLE(147),
    HYPERV_SYNIC2(148),
    HYPERV_VP_INDEX(149),
    S390_AIS_MIGRATION(150),
    PPC_GET_CPU_CHAR(151),
    S390_BPB(152),
    /** {@code KVM_GET_MSR_FEATURE_INDEX_LIST}. */
    GET_MSR_FEATURES(153),
    HYPERV_EVENTFD(154),
    HYPERV_TLBFLUSH(155),
    S390_HPAGE_1M(156),
    NESTED_STATE(157),
    ARM_INJECT_SERROR_ESR(158),
    MSR_PLATFORM_INFO(159),
    PPC_NESTED_HV(160),
    HYPERV_SEND_IPI(161),
    COALESCED_PIO(162),
    HYPERV_ENLIGHTENED_VMCS(163),
    EXCEPTION_PAYLOAD(164),
    ARM_VM_IPA_SIZE(165),
    /** Obsolete: use {@link #MANUAL_DIRTY_LOG_PROTECT2}. */
    MANUAL_DIRTY_LOG_PROTECT(166),
    HYPERV_CPUID(167),
    /** {@code KVM_CLEAR_DIRTY_LOG}; enabling it stops {@code KVM_GET_DIRTY_LOG} from re-protecting pages. */
    MANUAL_DIRTY_LOG_PROTECT2(168),
    PPC_IRQ_XIVE(169),
    ARM_SVE(170),
    ARM_PTRAUTH_ADDRESS(171),
    ARM_PTRAUTH_GENERIC(172),
    PMU_EVENT_FILTER(173),
    ARM_IRQ_LINE_LAYOUT_2(174),
    HYPERV_DIRECT_TLBFLUSH(175),
    PPC_GUEST_DEBUG_SSTEP(176),
    ARM_NISV_TO_USER(177),
    ARM_INJECT_EXT_DABT(178),
    S390_VCPU_RESETS(179),
    S390_PROTECTED(180),
    PPC_SECURE_GUEST(181),
    HALT_POLL(182),
    ASYNC_PF_INT(183),
    LAST_CPU(184),
    SMALLER_MAXPHYADDR(185),
    S390_DIAG318(186),
    STEAL_TIME(187),
    /** RDMSR/WRMSR exits to userspace; the argument is a mask of {@code KVM_MSR_EXIT_REASON_*}. */
    X86_USER_SPACE_MSR(188),
    /** {@code KVM_X86_SET_MSR_FILTER}. */
    X86_MSR_FILTER(189),
    ENFORCE_PV_FEATURE_CPUID(190),
    SYS_HYPERV_CPUID(191),
    DIRTY_LOG_RING(192),
    X86_BUS_LOCK_EXIT(193),
    PPC_DAWR1(194),
    /** Returns the supported {@code KVM_GUESTDBG_*} bits. */
    SET_GUEST_DEBUG2(195),
    SGX_ATTRIBUTE(196),
    VM_COPY_ENC_CONTEXT_FROM(197),
    PTP_KVM(198),
    HYPERV_ENFORCE_CPUID(199),
    SREGS2(200),
    /** {@code KVM_EXIT_HYPERCALL} for the hypercalls in the enabled bitmask. */
    EXIT_HYPERCALL(201),
    PPC_RPT_INVALIDATE(202),
    BINARY_STATS_FD(203),
    EXIT_ON_EMULATION_FAILURE(204),
    ARM_MTE(205),
    VM_MOVE_ENC_CONTEXT_FROM(206),
    VM_GPA_BITS(207),
    XSAVE2(208),
    SYS_ATTRIBUTES(209),
    PPC_AIL_MODE_3(210),
    S390_MEM_OP_EXTENSION(211),
    PMU_CAPABILITY(212),
    DISABLE_QUIRKS2(213),
    VM_TSC_CONTROL(214),
    /** {@code kvm_run.system_event} carries {@code ndata} and {@code data}. */
    SYSTEM_EVENT_DATA(215),
    ARM_SYSTEM_SUSPEND(216),
    S390_PROTECTED_DUMP(217),
    X86_TRIPLE_FAULT_EVENT(218),
    X86_NOTIFY_VMEXIT(219),
    VM_DISABLE_NX_HUGE_PAGES(220),
    S390_ZPCI_OP(221),
    S390_CPU_TOPOLOGY(222),
    DIRTY_LOG_RING_ACQ_REL(223),

    /**
     * jkvm extension {@code JKVM_CPUID_EXIT}: once enabled on a vcpu with {@code KVM_ENABLE_CAP}, CPUID exits to
     * userspace with {@link ExitReason#JKVM_CPUID} instead of being answered from the {@code KVM_SET_CPUID2} table.
     */
    @JkvmExtension
    JKVM_CPUID_EXIT(0x4A4B0001, "JKVM_CPUID_EXIT"),

    /**
     * jkvm extension {@code JKVM_INSTRUCTION_COUNT}: an exact count of retired guest instructions, and a budget
     * after which {@code KVM_RUN} returns {@link ExitReason#JKVM_BUDGET}. The meaning of {@code kvm_enable_cap.args}
     * is defined by the backend that implements it (the jit backend; {@code /dev/kvm} does not have it).
     */
    @JkvmExtension
    JKVM_INSTRUCTION_COUNT(0x4A4B0002, "JKVM_INSTRUCTION_COUNT");

    private static final Map<Integer, Capability> BY_NUMBER = new HashMap<>();

    static {
        for (Capability c : values()) {
            BY_NUMBER.put(c.number, c);
        }
    }

    private final int number;
    private final String cName;

    Capability(int number) {
        this.number = number;
        this.cName = "KVM_CAP_" + name();
    }

    Capability(int number, String cName) {
        this.number = number;
        this.cName = cName;
    }

    /** The number passed to {@code KVM_CHECK_EXTENSION} and in {@code kvm_enable_cap.cap}. */
    public int number() {
        return number;
    }

    /** The C macro name, e.g. {@code KVM_CAP_USER_MEMORY} or {@code JKVM_CPUID_EXIT}. */
    public String cName() {
        return cName;
    }

    /** True for the capabilities jkvm adds; a Linux host answers 0 when asked about them. */
    public boolean jkvmExtension() {
        return this == JKVM_CPUID_EXIT || this == JKVM_INSTRUCTION_COUNT;
    }

    /**
     * The capability with this number, or {@code null} when this enum does not name it (a newer kernel's, or a
     * caller's mistake); answer {@code KVM_CHECK_EXTENSION} for such a number with 0, as KVM does.
     */
    public static Capability of(int number) {
        return BY_NUMBER.get(number);
    }
}
