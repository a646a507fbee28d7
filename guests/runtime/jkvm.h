/*
 * jkvm.h - the freestanding runtime of jkvm guest programs.
 *
 * A guest is a C file with `int main(int argc, char **argv)`, run at CPL 3 with IOPL 3 after boot.S has
 * set up long mode; returning from main exits with main's status. Nothing here needs libc.
 */
#ifndef JKVM_H
#define JKVM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The guest's own name, compiled in by the Makefile (-DGUEST_NAME="..."), used to recognise the name
 * word on the command line and in PASS/FAIL lines. */
#ifdef GUEST_NAME
__attribute__((weak)) const char jkvm_guest_name[] = GUEST_NAME;
#else
extern const char jkvm_guest_name[];
#endif

#define NORETURN __attribute__((noreturn))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- port I/O (allowed at CPL 3 because IOPL = 3) */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(subleaf));
}

/* ---- devices of the boot contract */
#define UART_BASE 0x3f8        /* 16550: THR/RBR at +0, LSR at +5 (bit 5: THR empty), SCR at +7 */
#define EXIT_PORT 0xf4         /* isa-debug-exit: 32-bit write of the status */

/* ---- CPL-0 services (boot.S: int $0x80). Status: 0 ok, SVC_FAULTED | vector if the privileged
 * instruction raised that exception, SVC_CLOBBERED if VMCALL changed an argument register. */
#define SVC_RDMSR 1
#define SVC_WRMSR 2
#define SVC_VMCALL 3
#define SVC_HALT 4
#define SVC_FAULTED 0x100
#define SVC_CLOBBERED 0x200

/* RDMSR at CPL 0; *status receives the service status. */
static inline uint64_t svc_rdmsr(uint32_t msr, uint64_t *status)
{
    uint64_t value, st;
    __asm__ volatile("int $0x80" : "=a"(value), "=d"(st) : "a"((uint64_t)SVC_RDMSR), "D"((uint64_t)msr)
                     : "rcx", "r9", "r11", "memory");
    *status = st;
    return value;
}

/* WRMSR at CPL 0; returns the service status. */
static inline uint64_t svc_wrmsr(uint32_t msr, uint64_t value)
{
    uint64_t st, rax = SVC_WRMSR;
    __asm__ volatile("int $0x80" : "+a"(rax), "=d"(st) : "D"((uint64_t)msr), "S"(value)
                     : "rcx", "r9", "r11", "memory");
    return st;
}

/* VMCALL at CPL 0 with KVM's register convention (RAX = nr; RBX, RCX, RDX, RSI = a0..a3). */
static inline uint64_t svc_vmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                                  uint64_t *status)
{
    uint64_t ret, st;
    register uint64_t r10 __asm__("r10") = a2;
    register uint64_t r8 __asm__("r8") = a3;
    __asm__ volatile("int $0x80" : "=a"(ret), "=d"(st)
                     : "a"((uint64_t)SVC_VMCALL), "D"(nr), "S"(a0), "d"(a1), "r"(r10), "r"(r8)
                     : "rcx", "r9", "r11", "memory");
    *status = st;
    return ret;
}

/* ---- console and exit */
void putchar_serial(char c);
void puts_serial(const char *s);                  /* no newline added */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
NORETURN void exit(int status);

/* ---- memory and strings */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#ifndef JKVM_RUNTIME_LIB
/*
 * -ffreestanding implies -fno-builtin: without these, every memcpy(&v, p, 8) is a call into a rep movsb loop.
 * Real freestanding code (kernels) maps them to the builtins, so that gcc inlines small fixed-size copies as
 * plain moves, as hosted code gets them, and calls the functions above for the rest.
 */
#define memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define memset(d, c, n) __builtin_memset((d), (c), (n))
#define memcmp(a, b, n) __builtin_memcmp((a), (b), (n))
#endif
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
bool str_starts_with(const char *s, const char *prefix);
/* Parses an unsigned number: hex with or without "0x" when base is 16, else decimal (or 0x-prefixed
 * hex). Returns false on an empty or malformed string or overflow. */
bool parse_u64(const char *s, int base, uint64_t *out);

/* ---- heap: a bump allocator from the end of the image to the top of RAM (multiboot mem_upper;
 * 32 MiB assumed without it). Memory is not zeroed. alloc() exits with a FAIL line when RAM runs out. */
void *alloc(size_t size);
void *zalloc(size_t size);
uint64_t heap_free_bytes(void);

/* ---- command line (see start.c for how the multiboot cmdline becomes argc/argv) */
#define MAX_ARGS 32
/* Value of the first `key=value` argument, or NULL. */
const char *arg_value(int argc, char **argv, const char *key);

/* ---- deterministic data: the 64-bit LCG shared with host/reference.py (MMIX constants); each step
 * returns the high 32 bits of the new state. */
struct rng {
    uint64_t state;
};
static inline void rng_seed(struct rng *r, uint64_t seed) { r->state = seed; }
static inline uint32_t rng_next32(struct rng *r)
{
    r->state = r->state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(r->state >> 32);
}
static inline uint64_t rng_next64(struct rng *r)
{
    uint64_t hi = rng_next32(r);
    return (hi << 32) | rng_next32(r);
}

/* ---- checksums shared by several guests: CRC-32 (zlib's, bytewise) and an FNV-1a style word mix */
uint32_t crc32_update(uint32_t crc, const void *data, size_t n);
#define MIX_INIT 0xcbf29ce484222325ULL
static inline uint64_t mix64(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ULL; }

#endif
