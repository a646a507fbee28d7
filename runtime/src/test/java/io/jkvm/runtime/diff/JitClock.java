package io.jkvm.runtime.diff;

import io.jkvm.runtime.Vcpu;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.jit.JitVcpu;

import java.lang.reflect.Field;

/**
 * Test instrument: stops the TSC of a JIT vcpu. The JIT's TSC runs at host time ({@code TimeStampCounter}: elapsed
 * {@code System.nanoTime} at {@code VcpuConfig.tscKhz}, plus the offset an IA32_TSC write sets), so what RDTSC
 * returns depends on when it runs. At rate 0 it returns exactly the last value written to IA32_TSC, which lets a
 * test choose every value the guest reads (by writing IA32_TSC at exits). There is no API for the rate (jkvm has no
 * {@code KVM_SET_TSC_KHZ}), hence the reflection into the JIT backend's vcpu handle.
 */
final class JitClock {
    private JitClock() {
    }

    /** Stops {@code vcpu}'s TSC (a JIT vcpu); write IA32_TSC afterwards to choose its value. */
    static void freeze(Vcpu vcpu) {
        try {
            Object handle = vcpu.backendHandle();
            Field f = handle.getClass().getDeclaredField("vcpu");
            f.setAccessible(true);
            CpuState cpu = ((JitVcpu) f.get(handle)).cpu;
            cpu.config.tscKhz = 0;
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot stop the JIT vcpu's TSC (did JitVcpuHandle change?)", e);
        }
    }
}
