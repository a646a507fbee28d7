/*
 * hostshim.c - runs a compute guest's C code as an ordinary Linux program, to calibrate sizes
 * (`make host-NAME`, then `$(BUILD)/host/NAME bench`): the guest's main gets the real argv, libc's printf
 * and exit stand in for the serial console and the exit port, and the heap is malloc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *alloc(size_t size)
{
    void *p = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (p == NULL) {
        abort();
    }
    return p;
}

void *zalloc(size_t size)
{
    return memset(alloc(size), 0, size);
}

uint64_t heap_free_bytes(void)
{
    return UINT64_MAX;
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
