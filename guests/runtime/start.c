/*
 * start.c - from boot.S's ring-3 start to main(argc, argv), the heap, exit.
 *
 * Command line rule. The multiboot cmdline is split at spaces and tabs. QEMU's multiboot loader passes
 * "<kernel path> <-append text>", other loaders pass the text alone, and the text may or may not start
 * with the guest's name. So:
 *   1. if the first word looks like an image path (contains '/' or ends in ".elf"), it is argv[0];
 *   2. then, if the next word is the guest's own name (GUEST_NAME), it is argv[0] when there was no path
 *      word, and is dropped when there was one;
 *   3. without either, argv[0] is the guest's name;
 *   4. every other word is an argument, in order.
 * So "-append 'sha256 small'", "-append small", a loader's "sha256 small" or "small" all give
 * argv = { <name or path>, "small" }. An empty or missing cmdline gives argc = 1.
 */
#include "jkvm.h"

#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define ONE_MIB 0x100000ull
#define DEFAULT_RAM_TOP (32 * ONE_MIB)
#define HEAP_LIMIT (3ull << 30)        /* the top GiB of the identity map is the MMIO hole */
#define CMDLINE_MAX 1024

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;                 /* KiB below 1 MiB */
    uint32_t mem_upper;                 /* KiB above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;                   /* physical address of a NUL-terminated string */
};

extern char _end[];
int main(int argc, char **argv);

static char cmdline[CMDLINE_MAX];
static char *args[MAX_ARGS + 1];
static uint64_t heap_next, heap_top;

NORETURN void exit(int status)
{
    outl(EXIT_PORT, (uint32_t)status);
    /* No exit device: halt at CPL 0, which a VMM sees as a HLT exit. */
    for (;;) {
        __asm__ volatile("int $0x80" : : "a"((uint64_t)SVC_HALT) : "memory");
    }
}

static bool looks_like_path(const char *w)
{
    size_t n = strlen(w);
    return strchr(w, '/') != NULL || (n > 4 && strcmp(w + n - 4, ".elf") == 0);
}

static int split_cmdline(char *s, char **words, int max)
{
    int n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t') {
            *s++ = '\0';
        }
        if (*s == '\0') {
            break;
        }
        if (n < max) {
            words[n++] = s;
        }
        while (*s && *s != ' ' && *s != '\t') {
            s++;
        }
    }
    return n;
}

static int build_argv(char *text)
{
    char *words[MAX_ARGS + 2];
    int n = split_cmdline(text, words, MAX_ARGS + 2);
    int argc = 0, i = 0;
    if (i < n && looks_like_path(words[i])) {
        args[argc++] = words[i++];
    }
    if (i < n && strcmp(words[i], jkvm_guest_name) == 0) {
        if (argc == 0) {
            args[argc++] = words[i];
        }
        i++;
    }
    if (argc == 0) {
        args[argc++] = (char *)jkvm_guest_name;
    }
    while (i < n && argc < MAX_ARGS) {
        args[argc++] = words[i++];
    }
    args[argc] = NULL;
    return argc;
}

void jkvm_start(const struct multiboot_info *info, uint64_t magic)
{
    uint64_t ram_top = DEFAULT_RAM_TOP;
    /* Copy what is needed out of the info block first: loaders (QEMU) put it right after the image,
     * where the heap starts. */
    if (magic == MB_BOOT_MAGIC && info != NULL) {
        if ((info->flags & MB_INFO_CMDLINE) && info->cmdline != 0) {
            const char *src = (const char *)(uintptr_t)info->cmdline;
            size_t n = 0;
            while (n + 1 < CMDLINE_MAX && src[n]) {
                cmdline[n] = src[n];
                n++;
            }
            cmdline[n] = '\0';
        }
        if (info->flags & MB_INFO_MEMORY) {
            ram_top = ONE_MIB + (uint64_t)info->mem_upper * 1024;
        }
    }
    heap_next = ((uint64_t)(uintptr_t)_end + 4095) & ~4095ull;
    heap_top = ram_top < HEAP_LIMIT ? ram_top : HEAP_LIMIT;
    int argc = build_argv(cmdline);
    exit(main(argc, args));
}

void *alloc(size_t size)
{
    uint64_t start = (heap_next + 63) & ~63ull;
    if (start + size > heap_top || start + size < start) {
        printf("FAIL %s out of memory: %zu bytes wanted, %llu free\n", jkvm_guest_name, size,
               (unsigned long long)heap_free_bytes());
        exit(1);
    }
    heap_next = start + size;
    return (void *)(uintptr_t)start;
}

void *zalloc(size_t size)
{
    return memset(alloc(size), 0, size);
}

uint64_t heap_free_bytes(void)
{
    return heap_top > heap_next ? heap_top - heap_next : 0;
}

const char *arg_value(int argc, char **argv, const char *key)
{
    size_t n = strlen(key);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=') {
            return argv[i] + n + 1;
        }
    }
    return NULL;
}
