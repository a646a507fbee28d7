/*
 * trap: raises one CPU exception at CPL 3 to exercise the boot stub's IDT, TSS stack switch and report.
 * The expected end is the stub's line "EXCEPTION <vector> err=<code> rip=<rip> cr2=<cr2>" and exit
 * status 0x7f; the guest announces it first with "trap: expect EXCEPTION <vector> err=<code> ...".
 * Argument (default pf; a size word, small or bench, also means pf):
 *   pf  write to 0x100000000, just above the 4 GiB identity map: #PF (14), err=0x6 (user, write,
 *       not present), cr2=0x100000000
 *   ud  ud2: #UD (6)
 *   de  divide by zero: #DE (0)
 *   gp  hlt at CPL 3: #GP (13), err=0x0
 *   bp  int3 through a DPL-0 gate: #GP (13), err=0x1a (IDT entry 3, IDT bit); QEMU 7.2's TCG reports
 *       err=0x32 (it scales the index by the 16-byte gate size)
 * If the instruction completes instead, the guest prints FAIL and exits 1.
 */
#include "jkvm.h"

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "pf";
    if (strcmp(which, "small") == 0 || strcmp(which, "bench") == 0) {
        which = "pf";
    }
    if (strcmp(which, "pf") == 0) {
        printf("trap: expect EXCEPTION 14 err=0x6 cr2=0x100000000\n");
        *(volatile uint32_t *)(uintptr_t)0x100000000ull = 1;
    } else if (strcmp(which, "ud") == 0) {
        printf("trap: expect EXCEPTION 6 err=0x0\n");
        __asm__ volatile("ud2");
    } else if (strcmp(which, "de") == 0) {
        printf("trap: expect EXCEPTION 0 err=0x0\n");
        volatile uint32_t zero = 0;
        uint32_t lo = 1, hi = 0;
        __asm__ volatile("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero));
        printf("trap: quotient %u\n", lo);
    } else if (strcmp(which, "gp") == 0) {
        printf("trap: expect EXCEPTION 13 err=0x0\n");
        __asm__ volatile("hlt");
    } else if (strcmp(which, "bp") == 0) {
        printf("trap: expect EXCEPTION 13 err=0x1a\n");
        __asm__ volatile("int3");
    } else {
        printf("FAIL %s unknown trap '%s' (pf, ud, de, gp, bp)\n", jkvm_guest_name, which);
        return 2;
    }
    printf("FAIL %s no exception was raised\n", jkvm_guest_name);
    return 1;
}
