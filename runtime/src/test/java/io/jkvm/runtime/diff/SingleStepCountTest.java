package io.jkvm.runtime.diff;

import io.jkvm.abi.ExitReason;
import io.jkvm.runtime.Backend;
import io.jkvm.translator.decoder.CodeSize;
import io.jkvm.translator.decoder.DecodeException;
import io.jkvm.translator.decoder.Decoder;
import io.jkvm.translator.decoder.Instruction;
import io.jkvm.translator.decoder.Prefix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JIT's exact instruction count ({@code Vcpu.instructionsRetired()}, jkvm extension
 * {@code JKVM_INSTRUCTION_COUNT}) against instructions counted one by one with {@code KVM_GUESTDBG_SINGLESTEP}:
 * on the hardware backend (a real KVM: each {@code KVM_EXIT_DEBUG} is the CPU's single-step trap) and on the JIT
 * itself. The guest is {@link #PROGRAM}: a deterministic CPL-3 program with loops, calls and returns, pushes and
 * pops, {@code LOOP}, and REP string instructions with zero, short and longer counts, run on a
 * {@link LockstepMachine}. It ends with a load from {@link LockstepMachine#MMIO} (no memory slot there): both backends
 * stop with {@code KVM_EXIT_MMIO} before that load retires, with no HLT, port I/O, interrupt or exception on the way
 * whose interplay with the debug exits could make the count ambiguous.
 *
 * <p>Counting under single-step ({@link #countBySingleStep}): every {@code KVM_EXIT_DEBUG} is one retired
 * instruction, except for REP string instructions, which the CPU's TF trap interrupts after <em>every
 * iteration</em> with RIP still on the instruction. An exit is therefore counted only when RIP moved or the
 * instruction it stopped on carries no REP/REPNE prefix: a REP instruction with n iterations gives n exits (one for
 * n = 0) and counts once, which is how the JIT counts it (and how the CPU's retired-instruction counter does).
 * Nothing else in {@link #PROGRAM} leaves RIP in place.
 *
 * <p>No PAUSE either: with a PAUSE after the ADD in the loop below, the hardware count on KVM with nested SVM
 * (run-in-nested-kvm.sh) was short by exactly the number of PAUSEs executed (9,849 against the JIT's 10,074, which
 * is the count by hand; 225 PAUSEs). Presumably the single-step trap is lost when KVM intercepts PAUSE and skips it
 * (SVM's pause filter); not investigated further. Instructions that KVM intercepts and emulates are where counting
 * single-steps on hardware is least reliable: the program keeps to ones the CPU executes itself.
 *
 * <p>The hardware test needs {@code /dev/kvm} and is skipped without it (run it here with
 * {@code runtime/src/test/java/io/jkvm/runtime/hardware/run-in-nested-kvm.sh io.jkvm.runtime.diff.SingleStepCountTest}).
 * Both tests need GNU {@code as}.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SingleStepCountTest {
    /** Intel syntax; RBX points into the scratch area, RSP at its stack (see {@link LockstepMachine}). */
    static final String PROGRAM = """
            mov rbx, 0x%x
            mov ecx, 600
            mov edx, 0x12345
            xor eax, eax
            fill:
              imul edx, edx, 1103515245
              add edx, 12345
              mov dword ptr [rbx + rcx*4 - 4], edx
              call mix
              dec ecx
              jnz fill
            cld
            lea rsi, [rbx + 8]
            lea rdi, [rbx + 0xc00]
            mov ecx, 100
            rep movsb
            xor ecx, ecx
            rep stosq
            mov ecx, 37
            mov al, 0x5a
            rep stosb
            lea rsi, [rbx + 8]
            lea rdi, [rbx + 0xc00]
            mov ecx, 64
            repe cmpsb
            mov ecx, 200
            repne scasb
            mov ecx, 300
            more:
              push rcx
              mov rax, rcx
              and eax, 3
              jz skip
              add r9, rax
              lea r8, [r8 + rax*2 + 1]
            skip:
              pop rcx
              loop more
            xor eax, eax
            mov ecx, 600
            sum:
              add eax, dword ptr [rbx + rcx*4 - 4]
              adc r8, rax
              dec ecx
              jnz sum
            mov r10, 0x%x
            mov r11, qword ptr [r10]
            ud2
            mix:
              xor eax, edx
              rol eax, 5
              ret
            """.formatted(LockstepMachine.SCRATCH + 0x100, LockstepMachine.MMIO);

    private static byte[] code;

    @BeforeAll
    static void assemble() throws Exception {
        Assumptions.assumeTrue(HardwareLockstepTest.assemblerAvailable(), "skipped: GNU as is not installed");
        Path work = Files.createDirectories(Path.of(System.getProperty("basedir", "."), "target", "stepcount"));
        HardwareLockstepTest.Case c = new HardwareLockstepTest.Case(0);
        PROGRAM.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(c.lines::add);
        HardwareLockstepTest.assemble(List.of(c), work);
        code = c.code;
    }

    /** The result of one run: the count, and the state at the MMIO exit. */
    record Counted(long instructions, LockstepMachine.State state) {
    }

    @Test
    void theJitCountEqualsTheJitSingleStepCount() {
        Counted stepped = countBySingleStep(Backend.JIT);
        Counted counted = countByInstructionCounter();
        assertEquals(stepped.instructions(), counted.instructions(), "single-step count vs instructionsRetired()");
        assertSameState(stepped.state(), counted.state());
        // 600 iterations of the 9-instruction fill loop (with mix), 300 of the loop below: thousands, not a handful
        assertTrue(counted.instructions() > 8_000, "count " + counted.instructions());
    }

    @Test
    void theHardwareSingleStepCountEqualsTheJitCount() {
        String hw = Backend.HARDWARE.unavailableReason();
        Assumptions.assumeTrue(hw == null, () -> "skipped: the hardware backend is not available here: " + hw);
        Counted hardware = countBySingleStep(Backend.HARDWARE);
        Counted jit = countByInstructionCounter();
        assertEquals(hardware.instructions(), jit.instructions(),
                "instructions single-stepped on the hardware backend vs the JIT's instructionsRetired()");
        assertSameState(hardware.state(), jit.state());
    }

    private static void assertSameState(LockstepMachine.State a, LockstepMachine.State b) {
        assertEquals(a.rip, b.rip, "RIP at the MMIO exit");
        assertArrayEquals(a.gpr, b.gpr, "registers at the MMIO exit");
        assertArrayEquals(a.scratch, b.scratch, "scratch memory at the MMIO exit");
    }

    /** Single-steps {@link #PROGRAM} to its MMIO exit, counting instructions as the class comment explains. */
    static Counted countBySingleStep(Backend backend) {
        try (LockstepMachine m = load(backend)) {
            long count = 0;
            long rip = m.state().rip;
            for (long exits = 0; ; exits++) {
                assertTrue(exits < 1_000_000, "no MMIO exit after a million debug exits");
                byte[] at = m.codeAt(rip);
                ExitReason e = m.step();
                if (e == ExitReason.MMIO) {
                    LockstepMachine.State s = m.state();
                    return new Counted(count, s);
                }
                assertEquals(ExitReason.DEBUG, e, () -> "unexpected exit at 0x" + Long.toHexString(m.state().rip));
                long next = m.state().rip;
                if (next != rip || !repeats(at, rip)) {
                    count++;
                }
                rip = next;
            }
        }
    }

    /** Runs {@link #PROGRAM} on the JIT without single-stepping; the count is {@code instructionsRetired()}. */
    static Counted countByInstructionCounter() {
        try (LockstepMachine m = load(Backend.JIT)) {
            m.singleStep(false);
            long before = m.instructionsRetired();
            ExitReason e = m.step();
            assertEquals(ExitReason.MMIO, e, "the program ends with a load from the MMIO page");
            return new Counted(m.instructionsRetired() - before, m.state());
        }
    }

    private static LockstepMachine load(Backend backend) {
        LockstepMachine m = new LockstepMachine(backend);
        long[] gpr = new long[16];
        gpr[4] = LockstepMachine.STACK_TOP;
        m.load(code, gpr, 0x202, 0x1f80, new byte[256], new byte[LockstepMachine.SCRATCH_SIZE]);
        return m;
    }

    /** Whether the instruction at {@code rip} has a REP or REPNE prefix (a string instruction that may repeat). */
    private static boolean repeats(byte[] bytes, long rip) {
        try {
            Instruction i = Decoder.decode(bytes, 0, bytes.length, rip, CodeSize.BITS64);
            return i.has(Prefix.REP) || i.has(Prefix.REPNE);
        } catch (DecodeException e) {
            return false;
        }
    }
}
