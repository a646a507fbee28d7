/*
 * mmio: loads and stores of every size to 0xD0000000, an address outside RAM (the PCI hole), mapped
 * uncached by the boot page tables, so each access is an MMIO exit for the VMM. Stores first, then loads,
 * then a read-modify-write (`addl $1, mem`) and a `movs` from MMIO to RAM; everything read is printed.
 * The guest cannot know what the device returns (QEMU's PC machine reads unassigned PCI space as 0), so it passes
 * when every access completed; `expect=<hex>` additionally checks the 32-bit value read at +4.
 */
#include "jkvm.h"

#define MMIO_BASE 0xD0000000ull

int main(int argc, char **argv)
{
    volatile uint8_t *p8 = (volatile uint8_t *)(uintptr_t)MMIO_BASE;
    volatile uint16_t *p16 = (volatile uint16_t *)(uintptr_t)(MMIO_BASE + 2);
    volatile uint32_t *p32 = (volatile uint32_t *)(uintptr_t)(MMIO_BASE + 4);
    volatile uint64_t *p64 = (volatile uint64_t *)(uintptr_t)(MMIO_BASE + 8);
    volatile uint32_t *rmw = (volatile uint32_t *)(uintptr_t)(MMIO_BASE + 0x10);

    printf("mmio: store 0x12 -> [0x%llx] (8-bit)\n", MMIO_BASE);
    *p8 = 0x12;
    printf("mmio: store 0x3456 -> [0x%llx] (16-bit)\n", MMIO_BASE + 2);
    *p16 = 0x3456;
    printf("mmio: store 0x789abcde -> [0x%llx] (32-bit)\n", MMIO_BASE + 4);
    *p32 = 0x789abcde;
    printf("mmio: store 0x0123456789abcdef -> [0x%llx] (64-bit)\n", MMIO_BASE + 8);
    *p64 = 0x0123456789abcdefull;

    uint8_t r8 = *p8;
    uint16_t r16 = *p16;
    uint32_t r32 = *p32;
    uint64_t r64 = *p64;
    printf("mmio: read8=0x%02x read16=0x%04x read32=0x%08x read64=0x%016llx\n", r8, r16, r32,
           (unsigned long long)r64);

    __asm__ volatile("movl $0x41, %0\n\taddl $1, %0" : "+m"(*rmw));
    uint32_t after = *rmw;
    printf("mmio: after store 0x41 and addl $1: read32=0x%08x\n", after);

    uint8_t copy[4] = { 0, 0, 0, 0 };
    const void *src = (const void *)(uintptr_t)(MMIO_BASE + 4);
    void *dst = copy;
    size_t n = sizeof copy;
    __asm__ volatile("rep movsb" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
    printf("mmio: rep movsb from 0x%llx: %02x %02x %02x %02x\n", MMIO_BASE + 4, copy[0], copy[1], copy[2],
           copy[3]);

    const char *expect = arg_value(argc, argv, "expect");
    if (expect != NULL) {
        uint64_t want;
        if (!parse_u64(expect, 16, &want) || want != r32) {
            printf("FAIL %s got %08x expected %s\n", jkvm_guest_name, r32, expect);
            return 1;
        }
    }
    printf("PASS %s\n", jkvm_guest_name);
    return 0;
}
