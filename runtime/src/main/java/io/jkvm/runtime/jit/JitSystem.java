package io.jkvm.runtime.jit;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmCpuid2;
import io.jkvm.abi.KvmException;
import io.jkvm.abi.KvmRun;
import io.jkvm.runtime.spi.SystemHandle;
import io.jkvm.runtime.spi.VmHandle;
import io.jkvm.translator.cpu.VcpuConfig;

import java.util.List;

final class JitSystem implements SystemHandle {
    JitSystem() {
        // The first translation's class loading overlaps with the VMM's setup (see Engine.warmUpInBackground).
        io.jkvm.translator.jit.Engine.warmUpInBackground();
    }

    @Override
    public int apiVersion() {
        return 12;
    }

    @Override
    public int checkExtension(int capability) {
        return JitCapabilities.check(capability);
    }

    @Override
    public int vcpuMmapSize() {
        return (int) KvmRun.DEFAULT_MMAP_SIZE;
    }

    @Override
    public int[] msrIndexList() {
        return MsrTable.indices();
    }

    @Override
    public void supportedCpuid(KvmCpuid2 cpuid) {
        List<VcpuConfig.CpuidEntry> entries = CpuidModel.supported();
        if (cpuid.nent() < entries.size() || cpuid.capacity() < entries.size()) {
            throw new KvmException("KVM_GET_SUPPORTED_CPUID", Errno.E2BIG,
                    "the buffer holds " + cpuid.nent() + " entries, " + entries.size() + " are needed");
        }
        for (int i = 0; i < entries.size(); i++) {
            VcpuConfig.CpuidEntry e = entries.get(i);
            cpuid.entry(i).function(e.function()).index(e.index()).flags(e.flags()).eax(e.eax()).ebx(e.ebx())
                    .ecx(e.ecx()).edx(e.edx());
        }
        cpuid.nent(entries.size());
    }

    @Override
    public VmHandle createVm() {
        return new JitVm();
    }

    @Override
    public void close() {
    }
}
