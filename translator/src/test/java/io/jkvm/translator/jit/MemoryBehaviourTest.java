package io.jkvm.translator.jit;

import io.jkvm.mmu.GuestMemory;
import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Self-modifying code, data next to code, MMIO restart and read-only slots on the JIT. */
class MemoryBehaviourTest {

    @Test
    void storeIntoTheCurrentRegionTakesEffectAtTheNextInstruction() {
        // The store patches the immediate of the very next instruction (b0 imm8), inside the same region.
        byte[] code = LongModeMachine.assemble("""
                  mov byte ptr [rip + 1], 0x42
                  mov al, 0x00
                  ud2
                """);
        try (LongModeMachine m = new LongModeMachine(code)) {
            ExitRequest e = m.vcpu.run();
            assertEquals(ExitRequest.Kind.SHUTDOWN, e.kind, e.reason);
            assertEquals(0x42, m.vcpu.cpu.gpr[CpuState.RAX] & 0xff, "the patched immediate was executed");
            assertTrue(m.engine.stats().invalidations() >= 1, "the stale region was dropped");
        }
    }

    @Test
    void selfModifyingLoopSeesEveryNewVersion() {
        // Each iteration rewrites the immediate of `add ebx, imm8` (83 c3 imm8) with the loop counter.
        byte[] code = LongModeMachine.assemble("""
                  xor ebx, ebx
                  mov ecx, 50
                1: mov byte ptr [rip + 2], cl
                  add ebx, 0x7f
                  dec ecx
                  jnz 1b
                  ud2
                """);
        try (LongModeMachine m = new LongModeMachine(code)) {
            ExitRequest e = m.vcpu.run();
            assertEquals(ExitRequest.Kind.SHUTDOWN, e.kind, e.reason);
            assertEquals(50 * 51 / 2, m.vcpu.cpu.gpr[CpuState.RBX], "sum of 50..1 patched immediates");
        }
    }

    @Test
    void storesToDataSharingAPageWithCodeCauseNoRetranslation() {
        byte[] code = LongModeMachine.assemble("""
                  mov ecx, 20000
                1: mov [rip + data], rcx
                  add [rip + data + 8], rcx
                  dec ecx
                  jnz 1b
                  ud2
                data: .quad 0, 0
                """);
        try (LongModeMachine m = new LongModeMachine(code)) {
            ExitRequest e = m.vcpu.run();
            assertEquals(ExitRequest.Kind.SHUTDOWN, e.kind, e.reason);
            long dataAt = LongModeMachine.CODE + code.length - 16;
            assertEquals(1, m.memory.readLong(dataAt));
            assertEquals(20000L * 20001 / 2, m.memory.readLong(dataAt + 8));
            assertEquals(0, m.engine.stats().invalidations(), "no translated code was touched");
            assertTrue(m.engine.stats().regionsTranslated() <= 3, "regions: " + m.engine.stats().regionsTranslated());
        }
    }

    @Test
    void mmioLoadExitsAndTheRestartedInstructionConsumesTheData() {
        byte[] code = LongModeMachine.assemble("""
                  mov rbx, 0xd0000010
                  mov rcx, 5
                  mov rax, [rbx]
                  add rax, rcx
                  mov dword ptr [rbx + 8], 0x1234
                  ud2
                """);
        try (LongModeMachine m = new LongModeMachine(code)) {
            ExitRequest e = m.vcpu.run();
            assertEquals(ExitRequest.Kind.MMIO, e.kind);
            assertEquals(0xd0000010L, e.gpa);
            assertEquals(8, e.mmioLength);
            assertEquals(false, e.mmioWrite);
            long ripAtLoad = m.vcpu.cpu.rip;
            m.vcpu.memory().completeMmioRead(e.gpa, e.mmioLength, 0x1122334455667788L);
            e = m.vcpu.run();
            assertEquals(ExitRequest.Kind.MMIO, e.kind);
            assertTrue(e.mmioWrite);
            assertEquals(0xd0000018L, e.gpa);
            assertEquals(4, e.mmioLength);
            assertEquals(0x34, e.data[0] & 0xff);
            assertEquals(0x12, e.data[1] & 0xff);
            assertEquals(0x1122334455667788L + 5, m.vcpu.cpu.gpr[CpuState.RAX]);
            assertTrue(m.vcpu.cpu.rip > ripAtLoad, "the store completed before the exit");
            e = m.vcpu.run();
            assertEquals(ExitRequest.Kind.SHUTDOWN, e.kind, e.reason);
        }
    }

    @Test
    void storeToReadOnlySlotIsAnMmioWriteAndLeavesMemoryUnchanged() {
        byte[] code = LongModeMachine.assemble("""
                  mov rbx, 0x01000000
                  mov rax, [rbx]
                  mov qword ptr [rbx], 0x77
                  ud2
                """);
        try (LongModeMachine m = new LongModeMachine(code)) {
            MemorySegment rom = m.arena.allocate(0x10000, 4096);
            rom.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 0xabcdef);
            m.memory.setUserMemoryRegion(1, GuestMemory.KVM_MEM_READONLY, 0x01000000, 0x10000, rom);
            m.vcpu.syncMode();
            ExitRequest e = m.vcpu.run();
            assertEquals(ExitRequest.Kind.MMIO, e.kind);
            assertTrue(e.mmioWrite);
            assertEquals(0x01000000L, e.gpa);
            assertEquals(0x77, e.data[0]);
            assertEquals(0xabcdef, m.vcpu.cpu.gpr[CpuState.RAX]);
            assertEquals(0xabcdef, rom.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        }
    }
}
