package io.jkvm.runtime.vmm;

import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSregs;
import io.jkvm.runtime.Vcpu;

/**
 * The vcpu as the run loop uses it: run until the next exit, and read the state for reports. A seam so the loop's
 * routing can be tested with scripted exits; the real one is {@link #of(Vcpu)}.
 */
interface VcpuPort {
    /** {@code KVM_RUN}. */
    KvmRun run();

    KvmRegs regs();

    KvmSregs sregs();

    static VcpuPort of(Vcpu vcpu) {
        return new VcpuPort() {
            @Override
            public KvmRun run() {
                return vcpu.run();
            }

            @Override
            public KvmRegs regs() {
                return vcpu.getRegs();
            }

            @Override
            public KvmSregs sregs() {
                return vcpu.getSregs();
            }
        };
    }
}
