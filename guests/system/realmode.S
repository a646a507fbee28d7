/*
 * realmode: a flat 16-bit real-mode binary in boot-sector layout (512 bytes, 0x55AA at 510).
 * Load it at 0x7c00 and start at CS:IP = 0000:7C00 (a BIOS boots it the same way from a disk).
 * Prints "hello" and a newline on the 16550 at 0x3f8 with `out` (polling LSR bit 5 first), then halts
 * with interrupts off.
 */
        .code16
        .section .text
        .globl start
start:
        cli
        xor %ax, %ax
        mov %ax, %ds
        mov %ax, %ss
        mov $0x7c00, %sp
        ljmp $0, $1f                    /* some BIOSes enter at 07C0:0000 */
1:      cld
        mov $message, %si
next:   lodsb
        test %al, %al
        jz done
        mov %al, %bl
        mov $0x3fd, %dx
wait:   in %dx, %al
        test $0x20, %al
        jz wait
        mov $0x3f8, %dx
        mov %bl, %al
        out %al, %dx
        jmp next
done:   hlt
        jmp done

message:
        .asciz "hello\n"

        .org 510
        .word 0xaa55
