package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.GuestException;

/** How the executor vectors guest exceptions and external interrupts through the guest's IDT. */
public interface ExceptionDelivery {
    /**
     * Delivers {@code e} (state is at the faulting instruction, or after it for traps such as INT n).
     *
     * @return false on a triple fault: the vcpu must shut down
     */
    boolean deliverException(CpuState cpu, MemoryPort mem, GuestException e);

    /** Delivers external interrupt {@code vector} (the caller checked IF and the interrupt shadow). */
    void deliverExternal(CpuState cpu, MemoryPort mem, int vector);
}
