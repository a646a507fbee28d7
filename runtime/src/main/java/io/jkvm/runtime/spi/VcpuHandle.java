package io.jkvm.runtime.spi;

import io.jkvm.abi.KvmCpuid2;
import io.jkvm.abi.KvmEnableCap;
import io.jkvm.abi.KvmFpu;
import io.jkvm.abi.KvmGuestDebug;
import io.jkvm.abi.KvmInterrupt;
import io.jkvm.abi.KvmMpState;
import io.jkvm.abi.KvmMsrs;
import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmRun;
import io.jkvm.abi.KvmSregs;
import io.jkvm.abi.KvmTranslation;

/** A vcpu handle (the fd {@code KVM_CREATE_VCPU} returns) and its shared run area. */
public interface VcpuHandle extends AutoCloseable {

    /** The shared {@code kvm_run} area (the vcpu fd's mmap), the same object for the vcpu's whole life. */
    KvmRun runArea();

    /**
     * {@code KVM_RUN}: returns when the run area describes an exit. An interrupted run ({@link #kick()},
     * {@code immediate_exit}) returns normally with {@code KVM_EXIT_INTR}, as the EINTR case of the ioctl.
     */
    void run();

    /** Makes a {@link #run()} in progress on another thread return soon with {@code KVM_EXIT_INTR}. Thread-safe. */
    void kick();

    void getRegs(KvmRegs regs);

    void setRegs(KvmRegs regs);

    void getSregs(KvmSregs sregs);

    void setSregs(KvmSregs sregs);

    void getFpu(KvmFpu fpu);

    void setFpu(KvmFpu fpu);

    /** {@code KVM_GET_MSRS}: returns the number of MSRs read (stops at the first it cannot read). */
    int getMsrs(KvmMsrs msrs);

    /** {@code KVM_SET_MSRS}: returns the number of MSRs written (stops at the first it cannot write). */
    int setMsrs(KvmMsrs msrs);

    void setCpuid2(KvmCpuid2 cpuid);

    void getCpuid2(KvmCpuid2 cpuid);

    void translate(KvmTranslation translation);

    void interrupt(KvmInterrupt interrupt);

    void setGuestDebug(KvmGuestDebug debug);

    void getMpState(KvmMpState state);

    void setMpState(KvmMpState state);

    /** {@code KVM_ENABLE_CAP} on the vcpu fd. */
    int enableCap(KvmEnableCap cap);

    /** Backend statistics for {@code jkvm run --stats} (names in snake_case, values numbers). */
    default java.util.Map<String, Object> statistics() {
        return java.util.Map.of();
    }

    /** Guest instructions retired so far, or -1 when the backend cannot count them (hardware). */
    default long instructionsRetired() {
        return -1;
    }

    /**
     * jkvm extension {@code JKVM_INSTRUCTION_COUNT}: {@code run()} returns with {@code JKVM_EXIT_BUDGET} once
     * {@link #instructionsRetired()} reaches {@code limit}, exactly at that instruction boundary.
     */
    default void setInstructionBudget(long limit) {
        throw new io.jkvm.abi.KvmException("KVM_ENABLE_CAP", io.jkvm.abi.Errno.EINVAL,
                "this backend cannot count guest instructions");
    }

    @Override
    void close();
}
