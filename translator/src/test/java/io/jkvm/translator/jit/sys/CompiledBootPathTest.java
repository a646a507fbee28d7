package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Engine;
import io.jkvm.translator.jit.JitVcpu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.translator.jit.sys.Machine.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The helpers inside compiled regions, run by the JIT executor with this package's exception delivery and exit
 * completions: the guests' boot sequence (LGDT, MOV SS, LRETQ, LTR, LIDT, IRETQ to ring 3 with IOPL 3), then
 * ring-3 port I/O, an INT 0x80 round trip through a DPL-3 gate, a #GP delivered to the guest's handler, and the
 * exit port.
 */
class CompiledBootPathTest {
    private final Machine m = new Machine();

    @AfterEach
    void close() {
        m.close();
    }

    private static final String PROGRAM = """
            lgdt [0x5000]
            mov eax, 0x10
            mov ss, eax
            mov ds, eax
            mov es, eax
            push 0x08
            lea rax, [rip + reload]
            push rax
            rex.w retf
            reload:
            mov ax, 0x28
            ltr ax
            lidt [0x5010]
            push 0x1b
            push 0x70000
            push 0x3002
            push 0x23
            lea rax, [rip + user]
            push rax
            iretq
            user:
            mov edx, 0x3fd
            in al, dx
            mov edi, 0x41
            int 0x80
            mov rcx, 0xc0000080
            rdmsr
            mov eax, 7
            out 0xf4, eax
            hlt
            .org 0x200
            service:
            mov eax, edi
            mov edx, 0x3f8
            out dx, al
            iretq
            .org 0x300
            gp_handler:
            mov eax, [rsp]
            mov edx, 0xe9
            out dx, eax
            add qword ptr [rsp + 8], 2
            add rsp, 8
            iretq
            """;

    @Test
    void bootStubSequenceThenRing3ServicesAndAFaultRunCompiled() {
        byte[] code = Machine.assemble(PROGRAM);
        m.longMode(0);
        m.ram.asSlice(0x100000, code.length).copyFrom(java.lang.foreign.MemorySegment.ofArray(code));
        // GDTR and IDTR pseudo-descriptors the program loads; the GDT starts with no TSS busy bit.
        m.put16(0x5000, 0x4f);
        m.put64(0x5002, GDT);
        m.put16(0x5010, 256 * 16 - 1);
        m.put64(0x5012, IDT);
        m.gate64(0x80, 0x100200, 3, 0, 0xe);
        m.gate64(GuestException.GP, 0x100300, 0, 1, 0xe);
        m.cpu.gdtLimit = 0;
        m.cpu.idtLimit = 0;

        JitVcpu vcpu = new JitVcpu(new Engine(m.memory));
        vcpu.setExceptionDelivery(Interrupts.DELIVERY);
        CpuState cpu = vcpu.cpu;
        m.copyStateTo(cpu);
        vcpu.syncMode();

        ExitRequest e = vcpu.run();
        assertEquals(ExitRequest.Kind.IO, e.kind);
        assertTrue(e.ioIn);
        assertEquals(0x3fd, e.port);
        assertEquals(3, cpu.cpl(), "IRETQ reached ring 3");
        assertEquals(UCODE | 3, cpu.seg[CpuState.CS].selector);
        assertEquals(0x8b, m.get8(GDT + TSS_SEL + 5), "LTR marked the TSS busy");
        e.data[0] = 0x20;
        assertTrue(ExitCompletion.complete(cpu, vcpu.memory(), e.kind));
        assertEquals(0x20, cpu.gpr[CpuState.RAX] & 0xff, "IN data in AL");

        e = vcpu.run();
        assertEquals(ExitRequest.Kind.IO, e.kind);
        assertFalse(e.ioIn);
        assertEquals(0x3f8, e.port);
        assertEquals('A', e.data[0]);
        assertEquals(0, cpu.cpl(), "inside the INT 0x80 service");
        assertEquals(RSP0 - 40, cpu.gpr[CpuState.RSP]);
        assertTrue(ExitCompletion.complete(cpu, vcpu.memory(), e.kind));

        // RDMSR at CPL 3 raises #GP(0): the guest's handler reports the error code on port 0xe9 and skips it.
        e = vcpu.run();
        assertEquals(ExitRequest.Kind.IO, e.kind);
        assertEquals(0xe9, e.port);
        assertEquals(0, IoOps.getLittleEndian(e.data, 0, 4));
        assertEquals(0, cpu.cpl());
        assertTrue(ExitCompletion.complete(cpu, vcpu.memory(), e.kind));

        e = vcpu.run();
        assertEquals(ExitRequest.Kind.IO, e.kind);
        assertEquals(0xf4, e.port);
        assertEquals(7, IoOps.getLittleEndian(e.data, 0, 4));
        assertEquals(3, cpu.cpl());
        assertEquals(0x70000, cpu.gpr[CpuState.RSP], "every frame was popped");
    }
}
