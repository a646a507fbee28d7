package io.jkvm.runtime.loader;

import io.jkvm.abi.KvmRegs;
import io.jkvm.abi.KvmSegment;
import io.jkvm.abi.KvmSregs;
import io.jkvm.runtime.GuestLayout;

/**
 * The CPU state a loader starts the guest in. {@link #applyTo} writes it over {@code kvm_regs}/{@code kvm_sregs}
 * the VMM read from the vcpu (so {@code apic_base} and the interrupt bitmap keep the backend's values); the VMM then
 * calls {@code setSregs} and {@code setRegs}. All general registers not named here are zero; RFLAGS is 0x2
 * (interrupts off).
 */
public sealed interface EntryState {
    long CR0_PE = 1L;
    long CR0_ET = 1L << 4;
    long CR0_PG = 1L << 31;
    long CR4_PAE = 1L << 5;
    long EFER_LME = 1L << 8;
    long EFER_LMA = 1L << 10;
    long RFLAGS_RESERVED = 0x2;

    /** Segment types of {@code kvm_segment.type} (code/data with the accessed bit set; busy TSS). */
    int TYPE_CODE_EXEC_READ = 0xb;
    int TYPE_DATA_READ_WRITE = 0x3;
    int TYPE_TSS_BUSY = 0xb;
    int TYPE_LDT = 0x2;

    /** The mode the guest starts in, for reports. */
    String mode();

    /** The linear address of the first instruction. */
    long entryPoint();

    void applyTo(KvmRegs regs, KvmSregs sregs);

    /**
     * Real mode at {@code cs:ip} with {@code ss:sp = 0:sp}, every data segment 0: how a BIOS enters a boot sector.
     */
    record RealMode(int cs, int ip, int sp) implements EntryState {
        public RealMode {
            if ((cs & ~0xffff) != 0 || (ip & ~0xffff) != 0 || (sp & ~0xffff) != 0) {
                throw new IllegalArgumentException("real-mode CS, IP and SP are 16-bit: " + this);
            }
        }

        @Override
        public String mode() {
            return "16-bit real mode";
        }

        @Override
        public long entryPoint() {
            return ((long) cs << 4) + ip;
        }

        @Override
        public void applyTo(KvmRegs regs, KvmSregs sregs) {
            regs.segment().fill((byte) 0);
            regs.rip(ip).rsp(sp).rflags(RFLAGS_RESERVED);
            realModeSegment(sregs.cs(), cs, TYPE_CODE_EXEC_READ);
            for (KvmSegment s : new KvmSegment[] {sregs.ds(), sregs.es(), sregs.fs(), sregs.gs(), sregs.ss()}) {
                realModeSegment(s, 0, TYPE_DATA_READ_WRITE);
            }
            systemSegment(sregs.tr(), 0, 0xffff, TYPE_TSS_BUSY);
            systemSegment(sregs.ldt(), 0, 0xffff, TYPE_LDT);
            sregs.gdt().base(0).limit(0xffff);
            sregs.idt().base(0).limit(0x3ff);
            sregs.cr0(CR0_ET).cr2(0).cr3(0).cr4(0).cr8(0).efer(0);
        }

        private static void realModeSegment(KvmSegment s, int selector, int type) {
            s.segment().fill((byte) 0);
            s.selector(selector).base((long) selector << 4).limit(0xffff).type(type).present(1).s(1);
        }

        @Override
        public String toString() {
            return String.format("real mode at %04x:%04x (linear 0x%x), SP=0x%x", cs, ip, entryPoint(), sp);
        }
    }

    /**
     * 32-bit protected mode as the multiboot v1 specification defines the entry: flat 4 GiB code and data
     * segments, paging off, interrupts off, EAX = 0x2BADB002, EBX = the physical address of the information
     * structure.
     */
    record ProtectedMode(long eip, long eax, long ebx, long esp) implements EntryState {
        @Override
        public String mode() {
            return "32-bit protected mode (multiboot)";
        }

        @Override
        public long entryPoint() {
            return eip;
        }

        @Override
        public void applyTo(KvmRegs regs, KvmSregs sregs) {
            regs.segment().fill((byte) 0);
            regs.rip(eip).rax(eax).rbx(ebx).rsp(esp).rflags(RFLAGS_RESERVED);
            flatSegment(sregs.cs(), GuestLayout.SELECTOR_CODE32, TYPE_CODE_EXEC_READ, false);
            flatDataSegments(sregs);
            bootTables(sregs);
            sregs.cr0(CR0_PE | CR0_ET).cr2(0).cr3(0).cr4(0).cr8(0).efer(0);
        }

        @Override
        public String toString() {
            return String.format("32-bit protected mode at 0x%x, EAX=0x%x, EBX=0x%x", eip, eax, ebx);
        }
    }

    /**
     * 64-bit long mode with the loader's identity map of the first 4 GiB ({@code cr3}), a flat 64-bit code segment
     * and flat data segments, interrupts off; RDI and RSI as the boot contract says (multiboot information, magic).
     */
    record LongMode(long rip, long rdi, long rsi, long rsp, long cr3) implements EntryState {
        @Override
        public String mode() {
            return "64-bit long mode";
        }

        @Override
        public long entryPoint() {
            return rip;
        }

        @Override
        public void applyTo(KvmRegs regs, KvmSregs sregs) {
            regs.segment().fill((byte) 0);
            regs.rip(rip).rdi(rdi).rsi(rsi).rsp(rsp).rflags(RFLAGS_RESERVED);
            flatSegment(sregs.cs(), GuestLayout.SELECTOR_CODE64, TYPE_CODE_EXEC_READ, true);
            flatDataSegments(sregs);
            bootTables(sregs);
            sregs.cr0(CR0_PE | CR0_ET | CR0_PG).cr2(0).cr3(cr3).cr4(CR4_PAE).cr8(0).efer(EFER_LME | EFER_LMA);
        }

        @Override
        public String toString() {
            return String.format("64-bit long mode at 0x%x, RDI=0x%x, RSI=0x%x, CR3=0x%x", rip, rdi, rsi, cr3);
        }
    }

    private static void flatSegment(KvmSegment s, int selector, int type, boolean longCode) {
        s.segment().fill((byte) 0);
        s.selector(selector).base(0).limit(0xffffffff).type(type).present(1).s(1).g(1);
        if (longCode) {
            s.l(1);
        } else {
            s.db(1);
        }
    }

    private static void flatDataSegments(KvmSregs sregs) {
        for (KvmSegment s : new KvmSegment[] {sregs.ds(), sregs.es(), sregs.fs(), sregs.gs(), sregs.ss()}) {
            flatSegment(s, GuestLayout.SELECTOR_DATA, TYPE_DATA_READ_WRITE, false);
        }
    }

    private static void bootTables(KvmSregs sregs) {
        systemSegment(sregs.tr(), GuestLayout.SELECTOR_TSS, BootStructures.TSS_LIMIT, TYPE_TSS_BUSY);
        systemSegment(sregs.ldt(), 0, 0xffff, TYPE_LDT);
        sregs.gdt().base(GuestLayout.BOOT_GDT_START).limit(GuestLayout.GDT_ENTRIES * 8 - 1);
        sregs.idt().base(GuestLayout.BOOT_IDT_START).limit((int) GuestLayout.BOOT_IDT_SIZE - 1);
    }

    private static void systemSegment(KvmSegment s, int selector, int limit, int type) {
        s.segment().fill((byte) 0);
        s.selector(selector).base(0).limit(limit).type(type).present(1);
    }
}
