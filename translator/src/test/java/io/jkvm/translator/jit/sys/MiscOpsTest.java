package io.jkvm.translator.jit.sys;

import io.jkvm.translator.cpu.CpuState;
import io.jkvm.translator.cpu.ExitRequest;
import io.jkvm.translator.cpu.Flags;
import io.jkvm.translator.cpu.GuestException;
import io.jkvm.translator.jit.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.jkvm.translator.jit.sys.Machine.*;
import static org.junit.jupiter.api.Assertions.*;

/** HLT, hypercalls, the TSC, fast system calls and the rare data and stack instructions. */
class MiscOpsTest {
    private final Machine m = new Machine();
    private final CpuState cpu = m.cpu;

    @AfterEach
    void close() {
        m.close();
    }

    private GuestException fault(Runnable r) {
        long rip = cpu.rip;
        GuestException e = assertThrows(GuestException.class, r::run);
        assertEquals(rip, cpu.rip);
        return e;
    }

    @Test
    void hltExitsWithRipPastItAndIsPrivileged() {
        m.longMode(0);
        assertEquals(Status.EXIT, m.exec("f4"));
        assertEquals(ExitRequest.Kind.HLT, cpu.exit.kind);
        assertEquals(0x100001, cpu.rip);
        assertEquals(1, cpu.instructions);
        m.longMode(3);
        assertEquals(GuestException.GP, fault(() -> m.exec("f4")).vector());
    }

    @Test
    void hypercallsFollowKvm() {
        m.longMode(0);
        cpu.gpr[CpuState.RAX] = 77;
        assertEquals(Status.CONTINUE, m.exec("0f 01 c1"));        // vmcall: unknown nr
        assertEquals(-1000L, cpu.gpr[CpuState.RAX], "-KVM_ENOSYS");
        cpu.gpr[CpuState.RAX] = 1;
        assertEquals(Status.CONTINUE, m.exec("0f 01 d9"));        // vmmcall: KVM_HC_VAPIC_POLL_IRQ
        assertEquals(0, cpu.gpr[CpuState.RAX]);

        cpu.config.hypercallExitMask = 1L << 12;
        cpu.gpr[CpuState.RAX] = 12;
        cpu.gpr[CpuState.RBX] = 0x100000;
        cpu.gpr[CpuState.RCX] = 4;
        cpu.gpr[CpuState.RDX] = 0x10;
        long rip = cpu.rip;
        assertEquals(Status.EXIT, m.exec("0f 01 c1"));
        assertEquals(ExitRequest.Kind.HYPERCALL, cpu.exit.kind);
        assertEquals(12, cpu.exit.hypercallNr);
        assertEquals(0x100000, cpu.exit.hypercallArgs[0]);
        assertEquals(4, cpu.exit.hypercallArgs[1]);
        assertEquals(0x10, cpu.exit.hypercallArgs[2]);
        assertEquals(rip, cpu.rip);
        cpu.exit.hypercallRet = 0;
        assertTrue(ExitCompletion.complete(cpu, m.mem, ExitRequest.Kind.HYPERCALL));
        assertEquals(0, cpu.gpr[CpuState.RAX]);
        assertEquals(rip + 3, cpu.rip);

        // KVM_HC_MAP_GPA_RANGE validates its arguments before exiting.
        cpu.gpr[CpuState.RAX] = 12;
        cpu.gpr[CpuState.RBX] = 0x100001;
        assertEquals(Status.CONTINUE, m.exec("0f 01 c1"));
        assertEquals(-22L, cpu.gpr[CpuState.RAX], "-KVM_EINVAL");

        m.longMode(3);
        cpu.gpr[CpuState.RAX] = 12;
        assertEquals(Status.CONTINUE, m.exec("0f 01 c1"));
        assertEquals(-1L, cpu.gpr[CpuState.RAX], "-KVM_EPERM at CPL 3");
    }

    @Test
    void rdtscCountsAndIsRefusedAtCpl3UnderTsd() {
        m.longMode(3);
        cpu.tscOffset = 1L << 50;
        assertEquals(Status.CONTINUE, m.exec("0f 31"));
        long t = (cpu.gpr[CpuState.RDX] << 32) | cpu.gpr[CpuState.RAX];
        assertTrue(t >= 1L << 50, "TSC " + t);
        assertTrue(cpu.gpr[CpuState.RAX] <= 0xffffffffL);
        cpu.cr4 |= CpuState.CR4_TSD;
        assertEquals(GuestException.GP, fault(() -> m.exec("0f 31")).vector());
        // RDTSCP is not in the guest's CPUID.
        cpu.cr4 &= ~CpuState.CR4_TSD;
        assertEquals(GuestException.UD, fault(() -> m.exec("0f 01 f9")).vector());
    }

    @Test
    void tscTicksDoNotOverflowForLongUptimes() {
        long tenYears = 10L * 365 * 24 * 3600 * 1_000_000_000L;
        assertEquals(tenYears / 1_000_000 * 3_000_000, TimeStampCounter.ticks(tenYears, 3_000_000));
        assertEquals(1500, TimeStampCounter.ticks(1000, 1_500_000));
    }

    @Test
    void syscallAndSysretRoundTrip() {
        m.longMode(3);
        cpu.star = ((long) (UDATA - 8) << 48) | ((long) KCODE << 32);
        cpu.lstar = 0x108000;
        cpu.sfmask = Flags.IF | Flags.DF;
        cpu.setRflags(Flags.FIXED | Flags.IF | Flags.DF | Flags.CF);
        assertEquals(Status.CONTINUE, m.exec("0f 05"));
        assertEquals(0x108000, cpu.rip);
        assertEquals(0x100002, cpu.gpr[CpuState.RCX]);
        assertEquals(Flags.FIXED | Flags.IF | Flags.DF | Flags.CF, cpu.gpr[11]);
        assertEquals(Flags.FIXED | Flags.CF, cpu.getRflags());
        assertEquals(0, cpu.cpl());
        assertEquals(KCODE, cpu.seg[CpuState.CS].selector);
        assertEquals(KDATA, cpu.seg[CpuState.SS].selector);
        assertTrue(cpu.is64());

        assertEquals(Status.CONTINUE, m.exec("48 0f 07"));        // sysretq
        assertEquals(0x100002, cpu.rip);
        assertEquals(3, cpu.cpl());
        assertEquals(UCODE | 3, cpu.seg[CpuState.CS].selector);
        assertEquals(UDATA | 3, cpu.seg[CpuState.SS].selector);
        assertEquals(Flags.FIXED | Flags.IF | Flags.DF | Flags.CF, cpu.getRflags());
        assertEquals(1, m.mem.userBit());
        // SYSRET to a non-canonical RCX faults in ring 0.
        m.longMode(0);
        cpu.gpr[CpuState.RCX] = 0x0000_8000_0000_0000L;
        assertEquals(GuestException.GP, fault(() -> m.exec("48 0f 07")).vector());
    }

    @Test
    void sysenterAndSysexit() {
        m.protectedMode32(3);
        cpu.sysenterCs = KCODE32;
        cpu.sysenterEsp = 0x88000;
        cpu.sysenterEip = 0x109000;
        assertEquals(Status.CONTINUE, m.exec("0f 34"));
        assertEquals(0x109000, cpu.rip);
        assertEquals(0x88000, cpu.gpr[CpuState.RSP]);
        assertEquals(0, cpu.cpl());
        assertEquals(KCODE32 + 8, cpu.seg[CpuState.SS].selector);
        cpu.gpr[CpuState.RDX] = 0x100100;
        cpu.gpr[CpuState.RCX] = 0x77000;
        assertEquals(Status.CONTINUE, m.exec("0f 35"));
        assertEquals(0x100100, cpu.rip);
        assertEquals(3, cpu.cpl());
        assertEquals((KCODE32 + 16) | 3, cpu.seg[CpuState.CS].selector);
    }

    @Test
    void rotateThroughCarry() {
        m.longMode(0);
        cpu.gpr[CpuState.RAX] = 0x81;
        cpu.setRflags(Flags.FIXED);
        assertEquals(Status.CONTINUE, m.exec("d0 d0"));           // rcl $1, %al
        assertEquals(0x02, cpu.gpr[CpuState.RAX]);
        assertEquals(Flags.CF | Flags.OF, cpu.getRflags() & (Flags.CF | Flags.OF), "CF out, OF = MSB ^ CF");
        // rcl $9, %al: the 9-bit rotation is the identity, flags untouched.
        cpu.gpr[CpuState.RAX] = 0x5a;
        long before = cpu.getRflags();
        assertEquals(Status.CONTINUE, m.exec("c0 d0 09"));
        assertEquals(0x5a, cpu.gpr[CpuState.RAX]);
        assertEquals(before, cpu.getRflags());
        // rcr $1, %ax with CF = 1.
        cpu.gpr[CpuState.RAX] = 0x0001;
        cpu.setRflags(Flags.FIXED | Flags.CF);
        assertEquals(Status.CONTINUE, m.exec("66 d1 d8"));
        assertEquals(0x8000, cpu.gpr[CpuState.RAX]);
        assertEquals(Flags.CF | Flags.OF, cpu.getRflags() & (Flags.CF | Flags.OF));
        // A count masked to 0 changes nothing, but a 32-bit register write still clears the upper half.
        cpu.gpr[CpuState.RSI] = 0x7fffffffffffffffL;
        cpu.gpr[CpuState.RCX] = 0x20;
        before = cpu.getRflags();
        assertEquals(Status.CONTINUE, m.exec("d3 d6"));           // rcl %cl, %esi
        assertEquals(0xffffffffL, cpu.gpr[CpuState.RSI]);
        assertEquals(before, cpu.getRflags());
        // 64-bit: count 33 is not reduced.
        cpu.gpr[CpuState.RAX] = 1;
        cpu.gpr[CpuState.RCX] = 33;
        cpu.setRflags(Flags.FIXED);
        assertEquals(Status.CONTINUE, m.exec("48 d3 d0"));        // rcl %cl, %rax
        assertEquals(1L << 33, cpu.gpr[CpuState.RAX]);
    }

    @Test
    void cmpxchg8bAndCmpxchg16b() {
        m.longMode(0);
        m.put64(0x150000, 0x1111_2222_3333_4444L);
        cpu.gpr[CpuState.RDI] = 0x150000;
        cpu.gpr[CpuState.RDX] = 0x1111_2222L;
        cpu.gpr[CpuState.RAX] = 0x3333_4444L;
        cpu.gpr[CpuState.RCX] = 0xaaaa_bbbbL;
        cpu.gpr[CpuState.RBX] = 0xcccc_ddddL;
        assertEquals(Status.CONTINUE, m.exec("0f c7 0f"));        // cmpxchg8b (%rdi)
        assertEquals(0xaaaa_bbbb_cccc_ddddL, m.get64(0x150000));
        assertNotEquals(0, cpu.getRflags() & Flags.ZF);
        assertEquals(Status.CONTINUE, m.exec("0f c7 0f"));
        assertEquals(0, cpu.getRflags() & Flags.ZF);
        assertEquals(0xaaaa_bbbbL, cpu.gpr[CpuState.RDX]);
        assertEquals(0xcccc_ddddL, cpu.gpr[CpuState.RAX]);

        m.put64(0x150010, 5);
        m.put64(0x150018, 6);
        cpu.gpr[CpuState.RDI] = 0x150010;
        cpu.gpr[CpuState.RAX] = 5;
        cpu.gpr[CpuState.RDX] = 6;
        cpu.gpr[CpuState.RBX] = 7;
        cpu.gpr[CpuState.RCX] = 8;
        assertEquals(Status.CONTINUE, m.exec("48 0f c7 0f"));     // cmpxchg16b (%rdi)
        assertEquals(7, m.get64(0x150010));
        assertEquals(8, m.get64(0x150018));
        cpu.gpr[CpuState.RDI] = 0x150008;
        assertEquals(GuestException.GP, fault(() -> m.exec("48 0f c7 0f")).vector());
    }

    @Test
    void xlatUsesTheSegmentOverride() {
        m.protectedMode32(0);
        cpu.seg[CpuState.ES].base = 0x10000;
        m.put8(0x10000 + 0x5000 + 0x22, 0x99);
        cpu.gpr[CpuState.RBX] = 0x5000;
        cpu.gpr[CpuState.RAX] = 0x1122;
        assertEquals(Status.CONTINUE, m.exec("26 d7"));           // es xlat
        assertEquals(0x1199, cpu.gpr[CpuState.RAX]);
    }

    @Test
    void enterWithNestingCopiesFramePointers() {
        m.longMode(0);
        long rsp = cpu.gpr[CpuState.RSP];
        cpu.gpr[CpuState.RBP] = 0x61000;
        m.put64(0x61000 - 8, 0xabc);
        assertEquals(Status.CONTINUE, m.exec("c8 20 00 02"));     // enter $0x20, $2
        long frame = rsp - 8;
        assertEquals(frame, cpu.gpr[CpuState.RBP]);
        assertEquals(0x61000, m.get64(rsp - 8), "old RBP");
        assertEquals(0xabc, m.get64(rsp - 16), "outer frame pointer copied");
        assertEquals(frame, m.get64(rsp - 24), "this frame");
        assertEquals(rsp - 24 - 0x20, cpu.gpr[CpuState.RSP]);
    }

    @Test
    void pushaAndPopaRoundTripSkippingSp() {
        m.protectedMode32(0);
        for (int r = 0; r < 8; r++) {
            cpu.gpr[r] = 0x1000 * (r + 1) + r;
        }
        cpu.gpr[CpuState.RSP] = 0x60000;
        assertEquals(Status.CONTINUE, m.exec("60"));
        assertEquals(0x60000 - 32, cpu.gpr[CpuState.RSP]);
        assertEquals(0x60000, m.get32(0x60000 - 20), "the original ESP");
        assertEquals(cpu.gpr[CpuState.RDI], m.get32(0x60000 - 32));
        for (int r = 0; r < 8; r++) {
            if (r != CpuState.RSP) {
                cpu.gpr[r] = 0;
            }
        }
        m.put32(0x60000 - 20, 0x12345);
        assertEquals(Status.CONTINUE, m.exec("61"));
        assertEquals(0x60000, cpu.gpr[CpuState.RSP]);
        assertEquals(0x1000, cpu.gpr[CpuState.RAX]);
        assertEquals(0x8007, cpu.gpr[CpuState.RDI]);
    }

    @Test
    void ud2AndBound() {
        m.protectedMode32(0);
        assertEquals(GuestException.UD, fault(() -> m.exec("0f 0b")).vector());
        m.put32(0x5000, -5);
        m.put32(0x5004, 10);
        cpu.gpr[CpuState.RBX] = 0x5000;
        cpu.gpr[CpuState.RAX] = -5L & 0xffffffffL;
        assertEquals(Status.CONTINUE, m.exec("62 03"));           // bound %eax, (%ebx)
        cpu.gpr[CpuState.RAX] = 11;
        assertEquals(GuestException.BR, fault(() -> m.exec("62 03")).vector());
    }
}
