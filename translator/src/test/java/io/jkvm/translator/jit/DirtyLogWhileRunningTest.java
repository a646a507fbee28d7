package io.jkvm.translator.jit;

import io.jkvm.mmu.GuestMemory;
import io.jkvm.translator.cpu.ExitRequest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest keeps storing to one page while another thread harvests the dirty log: every harvest after the first
 * must see the page dirty again, which needs the running vcpu to drop its TLB write entries after each clear.
 */
class DirtyLogWhileRunningTest {
    static final long LOGGED = 0x400000;

    @Test
    void everyHarvestSeesThePageTheGuestKeepsWriting() throws Exception {
        byte[] code = LongModeMachine.assemble("""
                  mov rbx, 0x400000
                1: inc qword ptr [rbx + 0x1008]
                  jmp 1b
                """);
        try (LongModeMachine m = new LongModeMachine(code); Arena arena = Arena.ofShared()) {
            // Logged memory: a second slot at 4 MiB (the machine's RAM slot covers 16 MiB from 0: move it aside).
            MemorySegment logged = arena.allocate(0x10000, 4096);
            m.memory.setUserMemoryRegion(0, 0, 0, 0, null);
            m.memory.setUserMemoryRegion(0, 0, 0, 0x400000, m.ram.asSlice(0, 0x400000));
            m.memory.setUserMemoryRegion(1, GuestMemory.KVM_MEM_LOG_DIRTY_PAGES, LOGGED, 0x10000, logged);
            m.vcpu.cpu.budgetLimit = Long.MAX_VALUE;
            m.vcpu.syncMode();
            CompletableFuture<ExitRequest.Kind> run = CompletableFuture.supplyAsync(() -> m.vcpu.run().kind);
            MemorySegment bitmap = arena.allocate(8, 8);
            long seen = 0;
            for (int round = 0; round < 20; round++) {
                // Wait for a store made after the previous harvest's sync point (a sleep is not enough on a loaded
                // host: the vcpu thread may not run at all in that time). The value read after awaitTlbSync
                // includes every store from before the sync point, so a different value comes from a later store,
                // which must be logged.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (logged.get(ValueLayout.JAVA_LONG, 0x1008) == seen && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                m.memory.getDirtyLog(1, bitmap);
                assertTrue(m.vcpu.awaitTlbSync(TimeUnit.SECONDS.toNanos(5)), "vcpu reached a sync point");
                seen = logged.get(ValueLayout.JAVA_LONG, 0x1008);
                if (round > 0) {
                    assertEquals(0b10, bitmap.get(ValueLayout.JAVA_LONG, 0),
                            "round " + round + ": page 1 of the slot must be dirty again");
                }
            }
            m.vcpu.kick();
            assertEquals(ExitRequest.Kind.INTR, run.get(10, TimeUnit.SECONDS));
            assertNotEquals(0, logged.get(ValueLayout.JAVA_LONG, 0x1008));
        }
    }
}
