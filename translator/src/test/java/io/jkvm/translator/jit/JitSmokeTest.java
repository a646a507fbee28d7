package io.jkvm.translator.jit;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JitSmokeTest {
    /*
     *   xor eax, eax ; mov ecx, 1000
     * 1: add rax, rcx ; dec rcx ; jnz 1b
     *   mov [rip+0x100], rax ; imul rbx, rax, 3 ; push rbx ; pop rdx ; call f ; ud2
     * f: lea rsi, [rdx+rbx*2+7] ; ret
     */
    static final byte[] LOOP = LongModeMachine.bytes(0x31, 0xc0, 0xb9, 0xe8, 0x03, 0x00, 0x00, 0x48, 0x01, 0xc8,
            0x48, 0xff, 0xc9, 0x75, 0xf8, 0x48, 0x89, 0x05, 0x00, 0x01, 0x00, 0x00, 0x48, 0x6b, 0xd8, 0x03, 0x53,
            0x5a, 0xe8, 0x02, 0x00, 0x00, 0x00, 0x0f, 0x0b, 0x48, 0x8d, 0x74, 0x5a, 0x07, 0xc3);

    @Test
    void loopCallAndStackRunToTheUndefinedInstruction() {
        try (LongModeMachine m = new LongModeMachine(LOOP)) {
            ExitRequest e = m.vcpu.run();
            CpuState c = m.vcpu.cpu;
            // No IDT: the #UD of ud2 cannot be delivered, so the vcpu shuts down at the ud2.
            assertEquals(ExitRequest.Kind.SHUTDOWN, e.kind, e.reason);
            assertTrue(e.reason.contains("#UD"), e.reason);
            long sum = 1000 * 1001 / 2;
            assertEquals(sum, c.gpr[CpuState.RAX]);
            assertEquals(0, c.gpr[CpuState.RCX]);
            assertEquals(3 * sum, c.gpr[CpuState.RBX]);
            assertEquals(3 * sum, c.gpr[CpuState.RDX]);
            assertEquals(3 * sum + 2 * 3 * sum + 7, c.gpr[CpuState.RSI]);
            assertEquals(LongModeMachine.STACK_TOP, c.gpr[CpuState.RSP]);
            assertEquals(LongModeMachine.CODE + 0x21, c.rip, "RIP at the ud2");
            // mov [rip+0x100], rax: the next instruction is at CODE + 0x16.
            assertEquals(sum, m.memory.readLong(LongModeMachine.CODE + 0x16 + 0x100));
            // 2 + 3 * 1000 + 1 + 1 + 1 + 1 + 1 (call) + 2 (lea, ret) instructions retired before ud2.
            assertEquals(2 + 3000 + 5 + 2, c.instructions);
        }
    }
}
