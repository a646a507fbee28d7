/*
 * The host CPU as an oracle for "does this encoding raise #UD?" (and, when it runs through, its length).
 * Used by the decoder tests only to verify claims that objdump accepts bytes the CPU rejects.
 *
 * Protocol: one hex-encoded byte sequence (at most 64 bytes: a short program) per stdin line; one answer per
 * stdout line:
 *   "UD"                   the CPU raised #UD (SIGILL) before executing anything,
 *   "OK <length> <rflags>" it executed and fell through to the int3 padding placed right after the bytes,
 *                          having run <length> bytes, and RFLAGS (hex) was <rflags> at that point,
 *   "FAULT <sig>"          it decoded and then faulted (memory, #GP, #DE ...): decoded, so not #UD.
 *
 * Containment: the bytes run in a page in the middle of a 4 GiB PROT_NONE reservation, with every general
 * register 0 and RSP in the middle of another such reservation, so that any disp32, RIP-relative or stack access
 * lands in unmapped memory or in the two scratch pages, never in this program. Signals arrive on an alternate
 * stack and siglongjmp back; MXCSR, the x87 control word and DF/AC are reset after every run. The caller only
 * sends vector and x87 instructions, never system or control-transfer ones.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define RESERVE (4ULL << 30)

static sigjmp_buf env;
static volatile sig_atomic_t caught;
static volatile uintptr_t fault_rip;
static volatile uint64_t fault_flags;
unsigned char *code_page;
uintptr_t probe_target, probe_stack;

static void on_signal(int sig, siginfo_t *si, void *ctx) {
    (void) si;
    caught = sig;
    fault_rip = ((ucontext_t *) ctx)->uc_mcontext.gregs[REG_RIP];
    fault_flags = ((ucontext_t *) ctx)->uc_mcontext.gregs[REG_EFL];
    siglongjmp(env, 1);
}

static unsigned char *middle_of_reservation(int prot) {
    unsigned char *r = mmap(0, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) {
        perror("mmap reservation");
        exit(2);
    }
    unsigned char *mid = r + RESERVE / 2;
    if (mprotect(mid, 2 * 4096, prot) != 0) {
        perror("mprotect");
        exit(2);
    }
    return mid;
}

static int hex(int c) {
    return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

int main(void) {
    static unsigned char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        sigaction(sigs[i], &sa, 0);
    }
    code_page = middle_of_reservation(PROT_READ | PROT_WRITE | PROT_EXEC);
    probe_stack = (uintptr_t) middle_of_reservation(PROT_READ | PROT_WRITE) + 4096;
    probe_target = (uintptr_t) code_page;

    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        int n = 0;
        for (char *p = line; p[0] && p[1] && p[0] != '\n' && n < 64; p += 2) {
            code_page[n++] = (unsigned char) (hex(p[0]) << 4 | hex(p[1]));
        }
        memset(code_page + n, 0xCC, 64);
        caught = 0;
        if (sigsetjmp(env, 1) == 0) {
            __asm__ volatile(
                "xor %%eax, %%eax\n\t xor %%ebx, %%ebx\n\t xor %%ecx, %%ecx\n\t xor %%edx, %%edx\n\t"
                "xor %%esi, %%esi\n\t xor %%edi, %%edi\n\t xor %%ebp, %%ebp\n\t"
                "xor %%r8d, %%r8d\n\t xor %%r9d, %%r9d\n\t xor %%r10d, %%r10d\n\t xor %%r11d, %%r11d\n\t"
                "xor %%r12d, %%r12d\n\t xor %%r13d, %%r13d\n\t xor %%r14d, %%r14d\n\t xor %%r15d, %%r15d\n\t"
                "mov probe_stack(%%rip), %%rsp\n\t"
                "jmp *probe_target(%%rip)\n\t"
                ::: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
                "memory");
        }
        unsigned int mxcsr = 0x1F80;
        unsigned short fcw = 0x037F;
        __asm__ volatile("cld\n\t pushfq\n\t andq $~0x40000, (%%rsp)\n\t popfq\n\t ldmxcsr %0\n\t fninit\n\t fldcw %1"
                         :: "m"(mxcsr), "m"(fcw));
        if (caught == SIGILL) {
            printf("UD\n");
        } else if (caught == SIGTRAP) {
            printf("OK %ld %lx\n", (long) (fault_rip - 1 - (uintptr_t) code_page), (unsigned long) fault_flags);
        } else {
            printf("FAULT %d\n", (int) caught);
        }
        fflush(stdout);
    }
    return 0;
}
