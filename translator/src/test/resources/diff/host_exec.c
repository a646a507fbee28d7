/*
 * host_exec: runs x86-64 test cases natively at CPL 3 and reports the state they end in, as the oracle of jkvm's
 * differential tests (io.jkvm.translator.diff). Compiled by the test with gcc; Linux x86-64 only.
 *
 * Layout (the JIT side uses the same linear addresses):
 *   CODE_BASE     one page holding the case's code, the rest filled with HLT (0xf4: #GP at CPL 3), then an unmapped
 *                 guard page
 *   SCRATCH_BASE  SCRATCH_SIZE bytes of data and stack, with unmapped guard pages on both sides
 *
 * A case is started by sending ourselves SIGUSR1: the handler replaces the interrupted context with the case's
 * registers (RIP = CODE_BASE), so sigreturn loads every GPR, RSP and RFLAGS at once. XMM0-15 and MXCSR are loaded
 * just before the tgkill system call, so the signal frame saves them and sigreturn restores them. The case ends
 * with the first signal it raises (normally the SIGILL of the ud2 that ends its code): the handler copies the
 * context of the faulting instruction (GPRs, RIP, RFLAGS, trap number, error code, fault address, XMM, MXCSR),
 * notes which 8-byte words of the scratch area changed, and siglongjmps back to the loop. In trace mode the case
 * runs with TF set and every single-step trap (#DB, vector 1) is recorded as a step before execution continues.
 *
 * Protocol (little-endian, binary), stdin: repeated
 *   u32 magic 'JKDC' (0 ends the input), u32 flags (bit 0: trace), u64 gpr[16] (RAX..R15, x86 order),
 *   u64 rflags, u32 mxcsr, u32 code_len, u8 xmm[16][16], u8 image[SCRATCH_SIZE], u8 code[code_len]
 * stdout: per case zero or more step records and one final record, each
 *   u32 magic 'JKDR', u32 kind (1 final, 2 step), i32 signo, i32 si_code, u64 trapno, u64 err, u64 addr,
 *   u64 gpr[16], u64 rip, u64 rflags, u32 mxcsr, u32 ndiff, u8 xmm[16][16], then ndiff x (u32 offset, u32 0,
 *   u64 value): the scratch words that differ from the initial image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_BASE 0x10000000UL
#define CODE_SIZE 0x1000UL
#define SCRATCH_BASE 0x20000000UL
#define SCRATCH_SIZE 0x2000UL
#define PAGE 0x1000UL

#define MAGIC_CASE 0x43444b4au   /* "JKDC" */
#define MAGIC_RESULT 0x52444b4au /* "JKDR" */
#define FLAG_TRACE 1u
#define KIND_FINAL 1u
#define KIND_STEP 2u
#define TF 0x100UL

struct case_in {
    uint64_t gpr[16];
    uint64_t rflags;
    uint32_t mxcsr;
    uint32_t code_len;
    uint8_t xmm[16][16];
};

struct result_head {
    uint32_t magic, kind;
    int32_t signo, si_code;
    uint64_t trapno, err, addr;
    uint64_t gpr[16];
    uint64_t rip, rflags;
    uint32_t mxcsr, ndiff;
    uint8_t xmm[16][16];
};

/* gregs index of each GPR in x86 order RAX RCX RDX RBX RSP RBP RSI RDI R8..R15. */
static const int GREG[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                             REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static struct case_in current;
static uint8_t image[SCRATCH_SIZE];
static uint8_t xmm_load[16][16] __attribute__((aligned(16)));
static uint32_t mxcsr_load;
static volatile int in_case;
static int trace;
static sigjmp_buf back;

static uint8_t *out;
static size_t out_len, out_cap;

static void die(const char *what) {
    fprintf(stderr, "host_exec: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void flush_out(void) {
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(1, out + done, out_len - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("write");
        }
        done += (size_t) n;
    }
    out_len = 0;
}

static void emit(const void *p, size_t n) {
    if (out_len + n > out_cap) {
        /* Only reached from main or from a handler interrupting guest code, never libc: realloc is safe here. */
        out_cap = (out_len + n) * 2;
        out = realloc(out, out_cap);
        if (out == NULL) {
            die("realloc");
        }
    }
    memcpy(out + out_len, p, n);
    out_len += n;
}

static void record(uint32_t kind, int sig, siginfo_t *si, ucontext_t *uc) {
    struct result_head h;
    memset(&h, 0, sizeof h);
    h.magic = MAGIC_RESULT;
    h.kind = kind;
    h.signo = sig;
    h.si_code = si->si_code;
    greg_t *g = uc->uc_mcontext.gregs;
    h.trapno = (uint64_t) g[REG_TRAPNO];
    h.err = (uint64_t) g[REG_ERR];
    h.addr = (uint64_t) (uintptr_t) si->si_addr;
    for (int i = 0; i < 16; i++) {
        h.gpr[i] = (uint64_t) g[GREG[i]];
    }
    h.rip = (uint64_t) g[REG_RIP];
    h.rflags = (uint64_t) g[REG_EFL];
    struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    h.mxcsr = fp->mxcsr;
    memcpy(h.xmm, fp->_xmm, sizeof h.xmm);
    const uint64_t *now = (const uint64_t *) SCRATCH_BASE;
    const uint64_t *was = (const uint64_t *) image;
    uint32_t n = 0;
    for (size_t i = 0; i < SCRATCH_SIZE / 8; i++) {
        n += now[i] != was[i];
    }
    h.ndiff = n;
    emit(&h, sizeof h);
    for (size_t i = 0; i < SCRATCH_SIZE / 8; i++) {
        if (now[i] != was[i]) {
            uint32_t off[2] = {(uint32_t) (i * 8), 0};
            emit(off, sizeof off);
            emit(&now[i], 8);
        }
    }
}

/* SIGUSR1: become the case. */
static void start(int sig, siginfo_t *si, void *ctx) {
    (void) sig;
    (void) si;
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    for (int i = 0; i < 16; i++) {
        g[GREG[i]] = (greg_t) current.gpr[i];
    }
    g[REG_RIP] = (greg_t) CODE_BASE;
    g[REG_EFL] = (greg_t) (current.rflags | (trace ? TF : 0));
    in_case = 1;
}

/* Any signal raised by the case: record it and return to the loop (or, in trace mode, record a step). */
static void stop(int sig, siginfo_t *si, void *ctx) {
    /* Linux keeps RFLAGS.AC in the handler: clear it first, or the handler's own unaligned accesses raise #AC. */
    __asm__ volatile("pushfq\n\tandq $~0x40000, (%%rsp)\n\tpopfq" ::: "memory", "cc");
    ucontext_t *uc = ctx;
    if (!in_case) {
        /* A fault of the harness itself: report it the default way. */
        signal(sig, SIG_DFL);
        return;
    }
    if (sig == SIGTRAP && trace && uc->uc_mcontext.gregs[REG_TRAPNO] == 1) {
        record(KIND_STEP, sig, si, uc);
        return;
    }
    in_case = 0;
    record(KIND_FINAL, sig, si, uc);
    siglongjmp(back, 1);
}

static void run_case(void) {
    memcpy(xmm_load, current.xmm, sizeof xmm_load);
    mxcsr_load = current.mxcsr;
    if (sigsetjmp(back, 0) == 0) {
        long pid = getpid();
        long tid = syscall(SYS_gettid);
        /* Load XMM0-15 and MXCSR, then tgkill(pid, tid, SIGUSR1): the signal frame saves exactly this FP state. */
        register long rdi __asm__("rdi") = pid;
        register long rsi __asm__("rsi") = tid;
        register long rdx __asm__("rdx") = SIGUSR1;
        register long rax __asm__("rax") = SYS_tgkill;
        __asm__ volatile(
            "movdqa 0x00(%[x]), %%xmm0\n\t"
            "movdqa 0x10(%[x]), %%xmm1\n\t"
            "movdqa 0x20(%[x]), %%xmm2\n\t"
            "movdqa 0x30(%[x]), %%xmm3\n\t"
            "movdqa 0x40(%[x]), %%xmm4\n\t"
            "movdqa 0x50(%[x]), %%xmm5\n\t"
            "movdqa 0x60(%[x]), %%xmm6\n\t"
            "movdqa 0x70(%[x]), %%xmm7\n\t"
            "movdqa 0x80(%[x]), %%xmm8\n\t"
            "movdqa 0x90(%[x]), %%xmm9\n\t"
            "movdqa 0xa0(%[x]), %%xmm10\n\t"
            "movdqa 0xb0(%[x]), %%xmm11\n\t"
            "movdqa 0xc0(%[x]), %%xmm12\n\t"
            "movdqa 0xd0(%[x]), %%xmm13\n\t"
            "movdqa 0xe0(%[x]), %%xmm14\n\t"
            "movdqa 0xf0(%[x]), %%xmm15\n\t"
            "ldmxcsr (%[m])\n\t"
            "syscall\n\t"
            : "+r"(rax)
            : [x] "r"(xmm_load), [m] "r"(&mxcsr_load), "r"(rdi), "r"(rsi), "r"(rdx)
            : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
              "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
        /* Not reached: the SIGUSR1 handler sent us into the case, which ends by siglongjmp. */
        fprintf(stderr, "host_exec: the case did not start\n");
        exit(3);
    }
}

static void map_fixed(unsigned long addr, size_t len, int prot) {
    void *p = mmap((void *) addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || (unsigned long) p != addr) {
        die("mmap");
    }
}

static int read_full(void *p, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(0, (uint8_t *) p + done, n - done);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return done == 0 ? 0 : -1;
        }
        done += (size_t) r;
    }
    return 1;
}

int main(void) {
    map_fixed(CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    map_fixed(CODE_BASE + CODE_SIZE, PAGE, PROT_NONE);
    map_fixed(SCRATCH_BASE - PAGE, PAGE, PROT_NONE);
    map_fixed(SCRATCH_BASE, SCRATCH_SIZE, PROT_READ | PROT_WRITE);
    map_fixed(SCRATCH_BASE + SCRATCH_SIZE, PAGE, PROT_NONE);

    static uint8_t altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        die("sigaltstack");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sa.sa_sigaction = start;
    if (sigaction(SIGUSR1, &sa, NULL) != 0) {
        die("sigaction");
    }
    sa.sa_sigaction = stop;
    int stops[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        if (sigaction(stops[i], &sa, NULL) != 0) {
            die("sigaction");
        }
    }
    out_cap = 1 << 20;
    out = malloc(out_cap);

    uint8_t code[CODE_SIZE];
    for (;;) {
        uint32_t head[2];
        int r = read_full(head, 4);
        if (r == 0 || (r == 1 && head[0] == 0)) {
            break;
        }
        if (r < 0 || head[0] != MAGIC_CASE || read_full(&head[1], 4) != 1) {
            fprintf(stderr, "host_exec: bad input\n");
            return 2;
        }
        trace = (head[1] & FLAG_TRACE) != 0;
        if (read_full(&current, sizeof current) != 1 || read_full(image, SCRATCH_SIZE) != 1
                || current.code_len > CODE_SIZE || read_full(code, current.code_len) != 1) {
            fprintf(stderr, "host_exec: truncated case\n");
            return 2;
        }
        memset((void *) CODE_BASE, 0xf4, CODE_SIZE);
        memcpy((void *) CODE_BASE, code, current.code_len);
        memcpy((void *) SCRATCH_BASE, image, SCRATCH_SIZE);
        run_case();
        if (out_len > (16u << 20)) {
            flush_out();
        }
    }
    flush_out();
    return 0;
}
