package io.jkvm.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Enum lookups, ioctl encoding and the registry, without gcc. */
class ConstantsTest {
    @Test
    void everyExitReasonRoundTrips() {
        for (ExitReason r : ExitReason.values()) {
            if (r != ExitReason.UNRECOGNIZED) {
                assertSame(r, ExitReason.of(r.number()), r.cName());
            }
        }
        assertSame(ExitReason.UNRECOGNIZED, ExitReason.of(38));
        assertSame(ExitReason.UNRECOGNIZED, ExitReason.of(-1));
        assertSame(ExitReason.UNRECOGNIZED, ExitReason.of(0x4A4B0003));
        assertEquals("KVM_EXIT_X86_RDMSR", ExitReason.X86_RDMSR.cName());
        assertTrue(ExitReason.JKVM_BUDGET.jkvmExtension());
        assertFalse(ExitReason.HLT.jkvmExtension());
    }

    @Test
    void capabilitiesLookUpByNumber() {
        for (Capability c : Capability.values()) {
            assertSame(c, Capability.of(c.number()), c.cName());
        }
        assertNull(Capability.of(5), "5 was never assigned in kvm.h");
        assertSame(Capability.JKVM_INSTRUCTION_COUNT, Capability.of(0x4A4B0002));
        assertEquals("KVM_CAP_USER_MEMORY", Capability.USER_MEMORY.cName());
    }

    /** Request numbers as strace prints them for any KVM VMM. */
    @Test
    void ioctlNumbersAsStraceShowsThem() {
        assertEquals(0xAE00L, Ioctl.KVM_GET_API_VERSION.number());
        assertEquals(0xAE80L, Ioctl.KVM_RUN.number());
        assertEquals(0x8090AE81L, Ioctl.KVM_GET_REGS.number());
        assertEquals(0x4090AE82L, Ioctl.KVM_SET_REGS.number());
        assertEquals(0x4020AE46L, Ioctl.KVM_SET_USER_MEMORY_REGION.number());
        assertEquals(0xC008AE05L, Ioctl.KVM_GET_SUPPORTED_CPUID.number());
        assertEquals(0x4068AEA3L, Ioctl.KVM_ENABLE_CAP.number());
        assertEquals(0xAEA3L, Ioctl.KVM_GET_TSC_KHZ.number(), "same nr as KVM_ENABLE_CAP, different macro");
        assertSame(Ioctl.KVM_GET_REGS, Ioctl.of(0x8090AE81L));
        assertEquals(Set.of(Ioctl.Target.VM, Ioctl.Target.VCPU), Ioctl.KVM_ENABLE_CAP.targets());
        assertEquals(KvmRegs.LAYOUT, Ioctl.KVM_GET_REGS.argument().orElseThrow());
        assertTrue(Ioctl.KVM_RUN.argument().isEmpty());
    }

    @Test
    void iocRefusesWhatTheEncodingCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Ioctl.ioc(Ioctl._IOC_READ, 0xAE, 1, 1 << 14));
        assertThrows(IllegalArgumentException.class, () -> Ioctl.ioc(4, 0xAE, 1, 8));
        assertThrows(IllegalArgumentException.class, () -> Ioctl.ioc(0, 0xAE, 0x100, 0));
    }

    @Test
    void registrySeparatesUapiJkvmAndKernelInternal() {
        assertEquals(12L, AbiConstants.all().get("KVM_API_VERSION"));
        assertEquals(0xAE80L, AbiConstants.linuxUapi().get("KVM_RUN"));
        assertEquals(0x4A4B0001L, AbiConstants.all().get("JKVM_EXIT_CPUID"));
        assertFalse(AbiConstants.linuxUapi().containsKey("JKVM_EXIT_CPUID"));
        assertEquals(Set.of("KVM_MAX_CPUID_ENTRIES"), AbiConstants.kernelInternal());
        assertFalse(AbiConstants.linuxUapi().containsKey("KVM_MAX_CPUID_ENTRIES"));
        assertEquals(0x600L, AbiConstants.all().get("KVM_MSR_FILTER_MAX_BITMAP_SIZE"));
        assertEquals(0L, AbiConstants.all().get("KVM_EXIT_IO_IN"));
    }
}
