/*
 * sieve: the primes up to `limit` (inclusive) by a segmented sieve of Eratosthenes over odd numbers
 * (32 KiB segments, so the working set stays in cache whatever the limit), `rounds` times.
 * Checksum: mix64(mix64(MIX_INIT, count), sum of the primes mod 2^64).
 * Reference: python3, a whole-range bytearray sieve with slice assignment.
 */
#include "compute.h"
#include "sieve.expected.h"

#define SEGMENT 32768                   /* odd numbers per segment */

static uint64_t isqrt(uint64_t n)
{
    uint64_t r = 0;
    for (uint64_t bit = 1ull << 62; bit != 0; bit >>= 2) {
        if (n >= r + bit) {
            n -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
    }
    return r;
}

static void sieve(uint64_t limit, uint64_t *count_out, uint64_t *sum_out)
{
    uint64_t count = 0, sum = 0;
    if (limit >= 2) {
        count = 1;
        sum = 2;
    }
    uint64_t root = isqrt(limit);
    /* odd base primes up to sqrt(limit), by a plain sieve */
    uint8_t *small = zalloc(root + 1);
    uint32_t *primes = alloc((root / 2 + 1) * sizeof *primes);
    uint64_t *next = alloc((root / 2 + 1) * sizeof *next);   /* next odd multiple to strike */
    size_t nprimes = 0;
    for (uint64_t i = 3; i <= root; i += 2) {
        if (!small[i]) {
            primes[nprimes] = (uint32_t)i;
            next[nprimes] = i * i;
            nprimes++;
            for (uint64_t k = i * i; k <= root; k += 2 * i) {
                small[k] = 1;
            }
        }
    }
    uint8_t *seg = alloc(SEGMENT);
    /* segment s covers odd numbers lo, lo+2, ..., lo+2*(SEGMENT-1) */
    for (uint64_t lo = 3; lo <= limit; lo += 2 * (uint64_t)SEGMENT) {
        uint64_t span = (limit - lo) / 2 + 1;
        size_t len = span < SEGMENT ? (size_t)span : SEGMENT;
        uint64_t hi = lo + 2 * (len - 1);
        memset(seg, 0, len);
        for (size_t p = 0; p < nprimes; p++) {
            uint64_t m = next[p];
            if (m > hi) {
                continue;
            }
            uint64_t step = primes[p];          /* 2p in numbers = p in odd-index units */
            size_t idx = (size_t)((m - lo) / 2);
            for (; idx < len; idx += step) {
                seg[idx] = 1;
            }
            next[p] = lo + 2 * idx;
        }
        for (size_t i = 0; i < len; i++) {
            if (!seg[i]) {
                count++;
                sum += lo + 2 * i;
            }
        }
    }
    *count_out = count;
    *sum_out = sum;
}

static uint64_t run(const uint64_t *param)
{
    uint64_t first = 0;
    for (uint64_t round = 0; round < param[P_ROUNDS]; round++) {
        uint64_t count, sum;
        sieve(param[P_LIMIT], &count, &sum);
        uint64_t h = mix64(mix64(MIX_INIT, count), sum);
        if (round == 0) {
            first = h;
            printf("sieve: %llu primes up to %llu, sum %llu\n", (unsigned long long)count,
                   (unsigned long long)param[P_LIMIT], (unsigned long long)sum);
        } else if (h != first) {
            compute_fail("round %llu disagrees with round 0", (unsigned long long)round);
        }
    }
    return first;
}

int main(int argc, char **argv)
{
    return compute_main(argc, argv, &SPEC, run);
}
