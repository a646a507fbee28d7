/*
 * matmul: C = A x B for n x n matrices of 32-bit integers, arithmetic mod 2^32 (A then B filled row by
 * row from the LCG, seed `seed`), by the i-k-j loop order; `rounds` times.
 * Checksum: two weighted sums of C, s = sum_ij w_i v_j C_ij mod 2^32, with weight vectors w, v (and
 * x, y for the second) drawn from the LCG after B; checksum = s1 << 32 | s2.
 * Reference: python3 computes the same sums as (w^T A)(B v) without ever forming C.
 */
#include "compute.h"
#include "matmul.expected.h"

static void multiply(const uint32_t *a, const uint32_t *b, uint32_t *c, size_t n)
{
    memset(c, 0, n * n * sizeof *c);
    for (size_t i = 0; i < n; i++) {
        uint32_t *ci = c + i * n;
        for (size_t k = 0; k < n; k++) {
            uint32_t aik = a[i * n + k];
            const uint32_t *bk = b + k * n;
            for (size_t j = 0; j < n; j++) {
                ci[j] += aik * bk[j];
            }
        }
    }
}

static uint32_t weighted_sum(const uint32_t *c, size_t n, const uint32_t *w, const uint32_t *v)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t row = 0;
        for (size_t j = 0; j < n; j++) {
            row += v[j] * c[i * n + j];
        }
        s += w[i] * row;
    }
    return s;
}

static uint64_t run(const uint64_t *param)
{
    size_t n = param[P_N];
    uint32_t *a = alloc(n * n * 4), *b = alloc(n * n * 4), *c = alloc(n * n * 4);
    uint32_t *w = alloc(n * 4), *v = alloc(n * 4), *x = alloc(n * 4), *y = alloc(n * 4);
    struct rng rng;
    rng_seed(&rng, param[P_SEED]);
    for (size_t i = 0; i < n * n; i++) a[i] = rng_next32(&rng);
    for (size_t i = 0; i < n * n; i++) b[i] = rng_next32(&rng);
    for (size_t i = 0; i < n; i++) w[i] = rng_next32(&rng);
    for (size_t i = 0; i < n; i++) v[i] = rng_next32(&rng);
    for (size_t i = 0; i < n; i++) x[i] = rng_next32(&rng);
    for (size_t i = 0; i < n; i++) y[i] = rng_next32(&rng);

    uint64_t first = 0;
    for (uint64_t round = 0; round < param[P_ROUNDS]; round++) {
        multiply(a, b, c, n);
        uint64_t sum = (uint64_t)weighted_sum(c, n, w, v) << 32 | weighted_sum(c, n, x, y);
        if (round == 0) {
            first = sum;
            printf("matmul: C[0][0]=0x%08x C[n-1][n-1]=0x%08x\n", c[0], c[n * n - 1]);
        } else if (sum != first) {
            compute_fail("round %llu disagrees with round 0", (unsigned long long)round);
        }
    }
    return first;
}

int main(int argc, char **argv)
{
    return compute_main(argc, argv, &SPEC, run);
}
