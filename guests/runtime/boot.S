/*
 * boot.S - boot stub of every jkvm guest image.
 *
 * Two ways in, one way on:
 *   multiboot_entry  32-bit multiboot v1 entry (QEMU -kernel, GRUB): EAX = 0x2BADB002, EBX = info,
 *                    protected mode, paging off. Enables long mode with the static page tables below
 *                    and jumps to jkvm_entry64.
 *   jkvm_entry64     64-bit entry named by the "JKVM" ELF note (jkvm's long-mode loader): long mode,
 *                    first 4 GiB identity mapped, RDI = multiboot info, RSI = 0x2BADB002.
 *
 * jkvm_entry64 installs the image's own GDT (ring 0 and ring 3 segments, 64-bit TSS), IDT (vectors 0-31
 * report "EXCEPTION ..." and exit with status 0x7f; vector 0x80 is the CPL-0 service gate), page tables
 * and SSE control bits, then IRETQs to ring 3 with IOPL 3 and IF = 0, where user_start calls
 * jkvm_start(info, magic) in C. Code at CPL 0 stays in this file, small and free of SSE: hosts that run
 * the hardware backend on PVM emulate CPL-0 code and that emulator stops on SSE.
 *
 * CPL-0 services (int $0x80 from ring 3; see jkvm.h for the C wrappers):
 *   RAX = SVC_RDMSR  RDI = msr                    -> RAX = value, RDX = status
 *   RAX = SVC_WRMSR  RDI = msr, RSI = value       -> RDX = status
 *   RAX = SVC_VMCALL RDI = nr, RSI, RDX, R10, R8  -> VMCALL with RAX = nr, RBX, RCX, RDX, RSI = args;
 *                                                    RAX = result, RDX = status
 *   RAX = SVC_HALT                                 -> CLI; HLT forever (exit's fallback)
 * Status: 0 = done; 0x100 | vector = the instruction raised that exception (e.g. 0x10d = #GP,
 * 0x106 = #UD), which is caught instead of being fatal; 0x200 = VMCALL changed an argument register.
 * Services clobber RCX, RDX, R9, R11 besides their outputs.
 */

#define MB_HEADER_MAGIC   0x1BADB002
#define MB_HEADER_FLAGS   0x00000003      /* bit 0: page-align modules, bit 1: want memory info */
#define MB_BOOT_MAGIC     0x2BADB002

#define SEL_KCODE         0x08
#define SEL_KDATA         0x10
#define SEL_UDATA         0x18
#define SEL_UCODE         0x20
#define SEL_TSS           0x28

#define CR0_PE            (1 << 0)
#define CR0_MP            (1 << 1)
#define CR0_EM            (1 << 2)
#define CR0_TS            (1 << 3)
#define CR0_NE            (1 << 5)
#define CR0_PG            (1 << 31)
#define CR4_PAE           (1 << 5)
#define CR4_OSFXSR        (1 << 9)
#define CR4_OSXMMEXCPT    (1 << 10)
#define MSR_EFER          0xC0000080
#define EFER_LME          (1 << 8)
#define RFLAGS_RESERVED1  (1 << 1)
#define RFLAGS_IOPL3      (3 << 12)

#define PTE_P             0x001
#define PTE_RW            0x002
#define PTE_US            0x004
#define PTE_PWT           0x008
#define PTE_PCD           0x010
#define PTE_PS            0x080

#define SVC_VECTOR        0x80
#define SVC_RDMSR         1
#define SVC_WRMSR         2
#define SVC_VMCALL        3
#define SVC_HALT          4
#define SVC_FAULTED       0x100
#define SVC_CLOBBERED     0x200

#define EXIT_PORT         0xf4
#define EXIT_EXCEPTION    0x7f
#define UART_THR          0x3f8
#define UART_LSR          0x3fd
#define LSR_THRE          0x20

#define TSS_RSP0          4
#define TSS_IST1          36
#define TSS_IOMAP         102
#define TSS_LIMIT         103

/* ---------------------------------------------------------------- multiboot header (first 8 KiB) */
        .section .multiboot, "a"
        .balign 4
multiboot_header:
        .long MB_HEADER_MAGIC
        .long MB_HEADER_FLAGS
        .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

/* ---------------------------------------------------------------- JKVM note: 64-bit entry address */
        .section .note.jkvm, "a"
        .balign 4
        .long 5                         /* namesz: "JKVM\0" */
        .long 8                         /* descsz */
        .long 1                         /* type 1: physical address of the 64-bit entry */
        .asciz "JKVM"
        .balign 4
        .quad jkvm_entry64
        .balign 4

/* ---------------------------------------------------------------- 32-bit multiboot entry */
        .section .text.boot, "ax"
        .code32
        .globl multiboot_entry
multiboot_entry:
        cli
        cld
        mov $boot_stack_top, %esp
        mov %ebx, %edi                  /* info  -> RDI of the 64-bit entry */
        mov %eax, %esi                  /* magic -> RSI */

        mov %cr4, %eax
        or $CR4_PAE, %eax
        mov %eax, %cr4
        mov $pml4, %eax
        mov %eax, %cr3
        mov $MSR_EFER, %ecx
        rdmsr
        or $EFER_LME, %eax
        wrmsr
        mov %cr0, %eax
        or $(CR0_PG | CR0_PE), %eax
        mov %eax, %cr0                  /* now in compatibility mode */
        lgdt gdt_pointer                /* 32-bit form reads limit + low 4 bytes of the base */
        ljmp $SEL_KCODE, $from_multiboot

        .code64
from_multiboot:
        mov %edi, %edi                  /* upper halves are undefined after the mode switch */
        mov %esi, %esi
        jmp jkvm_entry64

/* ---------------------------------------------------------------- 64-bit entry (common path) */
        .globl jkvm_entry64
jkvm_entry64:
        cli
        cld
        mov $boot_stack_top, %esp
        mov %rdi, %r12                  /* multiboot info */
        mov %rsi, %r13                  /* boot magic */

        lgdt gdt_pointer
        mov $SEL_KDATA, %eax
        mov %eax, %ds
        mov %eax, %es
        mov %eax, %ss
        mov %eax, %fs
        mov %eax, %gs
        pushq $SEL_KCODE
        pushq $1f
        lretq
1:
        /* TSS descriptor base (split over the descriptor, so filled in here) and type */
        mov $tss, %eax
        mov $gdt_tss, %edi
        mov %ax, 2(%rdi)
        shr $16, %eax
        mov %al, 4(%rdi)
        mov %ah, 7(%rdi)
        movl $0, 8(%rdi)
        movb $0x89, 5(%rdi)             /* present, DPL 0, available 64-bit TSS */
        movq $kernel_stack_top, tss + TSS_RSP0
        movq $ist_stack_top, tss + TSS_IST1
        movw $(TSS_LIMIT + 1), tss + TSS_IOMAP  /* no I/O bitmap: IOPL 3 grants the ports */
        mov $SEL_TSS, %eax
        ltr %ax

        /* IDT: exceptions 0-31 on IST 1, DPL 0; the service gate, DPL 3 */
        xor %ecx, %ecx
2:      mov exception_stubs(,%rcx,8), %rax
        mov $0x8e01, %edx               /* present, DPL 0, interrupt gate; IST 1 */
        call set_gate
        inc %ecx
        cmp $32, %ecx
        jb 2b
        mov $service_entry, %eax
        mov $SVC_VECTOR, %ecx
        mov $0xee00, %edx               /* present, DPL 3, interrupt gate; no IST (uses RSP0) */
        call set_gate
        lidt idt_pointer

        mov $pml4, %eax
        mov %rax, %cr3

        mov %cr0, %rax
        and $~(CR0_EM | CR0_TS), %rax
        or $(CR0_MP | CR0_NE), %rax
        mov %rax, %cr0
        mov %cr4, %rax
        or $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
        mov %rax, %cr4

        mov %r12, %rdi
        mov %r13, %rsi
        pushq $(SEL_UDATA | 3)
        pushq $user_stack_top
        pushq $(RFLAGS_IOPL3 | RFLAGS_RESERVED1)
        pushq $(SEL_UCODE | 3)
        pushq $user_start
        iretq

/* set_gate: RCX = vector, RAX = handler, DX = attribute word (type/DPL/P in high byte, IST in low) */
set_gate:
        mov %rcx, %r8
        shl $4, %r8
        add $idt, %r8
        mov %ax, 0(%r8)
        movw $SEL_KCODE, 2(%r8)
        mov %dx, 4(%r8)
        mov %rax, %r9
        shr $16, %r9
        mov %r9w, 6(%r8)
        shr $16, %r9
        mov %r9d, 8(%r8)
        movl $0, 12(%r8)
        ret

/* ---------------------------------------------------------------- ring 3 start */
user_start:
        ldmxcsr mxcsr_default
        fninit
        mov $(SEL_UDATA | 3), %eax
        mov %eax, %ds
        mov %eax, %es
        call jkvm_start                 /* (info, magic); does not return */
        ud2

/* ---------------------------------------------------------------- exceptions */
        .macro EXC_NOERR vector
exc_\vector:
        pushq $0
        pushq $\vector
        jmp exception_common
        .endm
        .macro EXC_ERR vector
exc_\vector:
        pushq $\vector
        jmp exception_common
        .endm

        EXC_NOERR 0
        EXC_NOERR 1
        EXC_NOERR 2
        EXC_NOERR 3
        EXC_NOERR 4
        EXC_NOERR 5
        EXC_NOERR 6
        EXC_NOERR 7
        EXC_ERR   8
        EXC_NOERR 9
        EXC_ERR   10
        EXC_ERR   11
        EXC_ERR   12
        EXC_ERR   13
        EXC_ERR   14
        EXC_NOERR 15
        EXC_NOERR 16
        EXC_ERR   17
        EXC_NOERR 18
        EXC_NOERR 19
        EXC_NOERR 20
        EXC_ERR   21
        EXC_NOERR 22
        EXC_NOERR 23
        EXC_NOERR 24
        EXC_NOERR 25
        EXC_NOERR 26
        EXC_NOERR 27
        EXC_NOERR 28
        EXC_ERR   29
        EXC_ERR   30
        EXC_NOERR 31

/*
 * Stack: 0 vector, 8 error code, 16 RIP, 24 CS, 32 RFLAGS, 40 RSP, 48 SS.
 * A fault on one of the service instructions (fixups table) resumes at its recovery label with
 * RDX = SVC_FAULTED | vector; anything else is fatal.
 */
exception_common:
        mov $fixups, %eax
3:      cmp $fixups_end, %eax
        jae fatal_exception
        mov 16(%rsp), %rdx
        cmp (%rax), %rdx
        je 4f
        add $16, %eax
        jmp 3b
4:      mov 8(%rax), %rax
        mov %rax, 16(%rsp)
        mov (%rsp), %rdx
        or $SVC_FAULTED, %rdx
        add $16, %rsp
        iretq

fatal_exception:
        mov $msg_exception, %esi
        call kputs
        mov (%rsp), %rax
        call kput_dec
        mov $msg_err, %esi
        call kputs
        mov 8(%rsp), %rax
        call kput_hex
        mov $msg_rip, %esi
        call kputs
        mov 16(%rsp), %rax
        call kput_hex
        mov $msg_cr2, %esi
        call kputs
        mov %cr2, %rax
        call kput_hex
        mov $'\n', %eax
        call kputc
        mov $EXIT_EXCEPTION, %eax
        mov $EXIT_PORT, %edx
        outl %eax, %dx
halt_forever:
        cli
        hlt
        jmp halt_forever

/* kputc: AL -> serial (polls LSR.THRE). Clobbers RDX, R11. */
kputc:
        mov %eax, %r11d
        mov $UART_LSR, %edx
5:      inb %dx, %al
        test $LSR_THRE, %al
        jz 5b
        mov $UART_THR, %edx
        mov %r11d, %eax
        outb %al, %dx
        ret

/* kputs: RSI = NUL-terminated string. Clobbers RAX, RDX, RSI, R11. */
kputs:
        movzbl (%rsi), %eax
        test %al, %al
        jz 6f
        call kputc
        inc %rsi
        jmp kputs
6:      ret

/* kput_hex: RAX as 0x-prefixed hex without leading zeros. Clobbers RAX, RCX, RDX, RSI, R10, R11. */
kput_hex:
        mov %rax, %r10
        mov $'0', %eax
        call kputc
        mov $'x', %eax
        call kputc
        mov $60, %ecx
7:      mov %r10, %rax                  /* skip leading zero digits, keep the last one */
        shr %cl, %rax
        and $0xf, %eax
        jnz 8f
        sub $4, %ecx
        jns 7b
        xor %ecx, %ecx
8:      mov %r10, %rax
        shr %cl, %rax
        and $0xf, %eax
        mov $hex_digits, %esi
        movzbl (%rsi,%rax), %eax
        push %rcx
        call kputc
        pop %rcx
        sub $4, %ecx
        jns 8b
        ret

/* kput_dec: RAX < 1000 as decimal. Clobbers RAX, RCX, RDX, R10, R11. */
kput_dec:
        mov %eax, %r10d
        cmp $10, %r10d
        jb 9f
        cmp $100, %r10d
        jb 10f
        mov %r10d, %eax
        xor %edx, %edx
        mov $100, %ecx
        div %ecx
        mov %edx, %r10d
        add $'0', %eax
        call kputc
10:     mov %r10d, %eax
        xor %edx, %edx
        mov $10, %ecx
        div %ecx
        mov %edx, %r10d
        add $'0', %eax
        call kputc
9:      lea '0'(%r10), %eax
        jmp kputc

/* ---------------------------------------------------------------- CPL-0 services (int $0x80) */
service_entry:
        cmp $SVC_RDMSR, %rax
        je svc_rdmsr
        cmp $SVC_WRMSR, %rax
        je svc_wrmsr
        cmp $SVC_VMCALL, %rax
        je svc_vmcall
        cmp $SVC_HALT, %rax
        je halt_forever
        mov $-1, %rax                   /* unknown service */
        mov $-1, %rdx
        iretq

svc_rdmsr:
        mov %edi, %ecx
svc_rdmsr_insn:
        rdmsr
        shl $32, %rdx
        or %rdx, %rax
        xor %edx, %edx
        iretq
svc_rdmsr_fault:
        xor %eax, %eax
        iretq

svc_wrmsr:
        mov %edi, %ecx
        mov %rsi, %rax
        mov %rsi, %rdx
        shr $32, %rdx
svc_wrmsr_insn:
        wrmsr
        xor %edx, %edx
svc_wrmsr_fault:
        xor %eax, %eax
        iretq

svc_vmcall:
        push %rbx
        push %rsi
        mov %rsi, %r9                   /* keep the arguments to check they survive */
        mov %rdx, %r11
        mov %rdi, %rax
        mov %rsi, %rbx
        mov %rdx, %rcx
        mov %r10, %rdx
        mov %r8, %rsi
svc_vmcall_insn:
        vmcall
        xor %edi, %edi
        cmp %rbx, %r9
        jne 11f
        cmp %rcx, %r11
        jne 11f
        cmp %rdx, %r10
        jne 11f
        cmp %rsi, %r8
        je 12f
11:     mov $SVC_CLOBBERED, %edi
12:     mov %rdi, %rdx
        pop %rsi
        pop %rbx
        iretq
svc_vmcall_fault:
        xor %eax, %eax
        pop %rsi
        pop %rbx
        iretq

/* ---------------------------------------------------------------- read-only data */
        .section .rodata.boot, "a"
        .balign 8
exception_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad exc_\v
        .endr
fixups:                                 /* faulting instruction, recovery label */
        .quad svc_rdmsr_insn, svc_rdmsr_fault
        .quad svc_wrmsr_insn, svc_wrmsr_fault
        .quad svc_vmcall_insn, svc_vmcall_fault
fixups_end:
mxcsr_default:
        .long 0x1f80
msg_exception:
        .asciz "EXCEPTION "
msg_err:
        .asciz " err="
msg_rip:
        .asciz " rip="
msg_cr2:
        .asciz " cr2="
hex_digits:
        .ascii "0123456789abcdef"

/* ---------------------------------------------------------------- GDT, page tables */
        .section .data.boot, "aw"
        .balign 16
gdt:
        .quad 0
        .quad 0x00af9a000000ffff        /* 0x08 ring-0 code, 64-bit */
        .quad 0x00cf92000000ffff        /* 0x10 ring-0 data */
        .quad 0x00cff2000000ffff        /* 0x18 ring-3 data */
        .quad 0x00affa000000ffff        /* 0x20 ring-3 code, 64-bit */
gdt_tss:                                /* 0x28 64-bit TSS (16 bytes; base filled at boot) */
        .word TSS_LIMIT, 0
        .byte 0, 0x89, 0, 0
        .long 0, 0
gdt_end:
        .balign 8
gdt_pointer:
        .word gdt_end - gdt - 1
        .quad gdt
idt_pointer:
        .word 256 * 16 - 1
        .quad idt

/*
 * Identity map of the first 4 GiB with 2 MiB pages, user-accessible (U/S on every level) and writable.
 * The top GiB (PCI/MMIO hole) is mapped uncached.
 */
        .section .data.pagetables, "aw"
        .balign 4096
pml4:
        .quad pdpt + (PTE_P | PTE_RW | PTE_US)
        .fill 511, 8, 0
pdpt:
        .quad pd + 0 * 4096 + (PTE_P | PTE_RW | PTE_US)
        .quad pd + 1 * 4096 + (PTE_P | PTE_RW | PTE_US)
        .quad pd + 2 * 4096 + (PTE_P | PTE_RW | PTE_US)
        .quad pd + 3 * 4096 + (PTE_P | PTE_RW | PTE_US)
        .fill 508, 8, 0
pd:
        .set page, 0
        .rept 1536
        .quad (page << 21) | (PTE_P | PTE_RW | PTE_US | PTE_PS)
        .set page, page + 1
        .endr
        .rept 512
        .quad (page << 21) | (PTE_P | PTE_RW | PTE_US | PTE_PS | PTE_PWT | PTE_PCD)
        .set page, page + 1
        .endr

/* ---------------------------------------------------------------- stacks, IDT, TSS */
        .section .bss.boot, "aw", @nobits
        .balign 4096
idt:
        .skip 256 * 16
tss:
        .skip 104
        .balign 16
        .skip 16384
boot_stack_top:
        .skip 16384
kernel_stack_top:
        .skip 16384
ist_stack_top:
        .balign 16
        .skip 262144
        .globl user_stack_top
user_stack_top:
