/*
 * sort: sorts `count` 32-bit integers (the LCG's outputs, seed `seed`) with an introsort (quicksort with
 * median-of-three pivots, insertion sort for short ranges, heapsort when recursion gets too deep), checks
 * the result is ordered, and repeats the whole generate-and-sort `rounds` times (every round must give
 * the same checksum). Checksum: sum over i of (i + 1) * a[i], mod 2^64. Reference: python3 sorted().
 */
#include "compute.h"
#include "sort.expected.h"

#define INSERTION_LIMIT 16

static void insertion_sort(uint32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static void sift_down(uint32_t *a, size_t root, size_t n)
{
    uint32_t v = a[root];
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) {
            break;
        }
        if (child + 1 < n && a[child + 1] > a[child]) {
            child++;
        }
        if (a[child] <= v) {
            break;
        }
        a[root] = a[child];
        root = child;
    }
    a[root] = v;
}

static void heap_sort(uint32_t *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;) {
        sift_down(a, i, n);
    }
    for (size_t end = n; end-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

static inline void swap(uint32_t *a, size_t i, size_t j)
{
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void intro_sort(uint32_t *a, size_t n, int depth)
{
    while (n > INSERTION_LIMIT) {
        if (depth-- == 0) {
            heap_sort(a, n);
            return;
        }
        size_t mid = n / 2;
        if (a[mid] < a[0]) swap(a, mid, 0);
        if (a[n - 1] < a[0]) swap(a, n - 1, 0);
        if (a[n - 1] < a[mid]) swap(a, n - 1, mid);
        uint32_t pivot = a[mid];
        size_t i = 0, j = n - 1;
        for (;;) {                      /* Hoare partition */
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i >= j) break;
            swap(a, i, j);
            i++;
            j--;
        }
        /* recurse into the smaller side, loop on the larger */
        size_t left = j + 1;
        if (left < n - left) {
            intro_sort(a, left, depth);
            a += left;
            n -= left;
        } else {
            intro_sort(a + left, n - left, depth);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static uint64_t run(const uint64_t *param)
{
    size_t n = param[P_COUNT];
    uint32_t *a = alloc(n * sizeof *a);
    uint64_t first = 0;
    for (uint64_t round = 0; round < param[P_ROUNDS]; round++) {
        struct rng rng;
        rng_seed(&rng, param[P_SEED]);
        for (size_t i = 0; i < n; i++) {
            a[i] = rng_next32(&rng);
        }
        int depth = 0;
        for (size_t m = n; m > 1; m >>= 1) {
            depth += 2;
        }
        intro_sort(a, n, depth);
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && a[i - 1] > a[i]) {
                compute_fail("not sorted at index %zu: %u > %u", i, a[i - 1], a[i]);
            }
            sum += (uint64_t)(i + 1) * a[i];
        }
        if (round == 0) {
            first = sum;
            printf("sort: min %u median %u max %u\n", n ? a[0] : 0, n ? a[n / 2] : 0, n ? a[n - 1] : 0);
        } else if (sum != first) {
            compute_fail("round %llu gave %016llx, round 0 gave %016llx", (unsigned long long)round,
                         (unsigned long long)sum, (unsigned long long)first);
        }
    }
    return first;
}

int main(int argc, char **argv)
{
    return compute_main(argc, argv, &SPEC, run);
}
