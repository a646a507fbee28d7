/*
 * spectral: the spectral norm of the infinite matrix A(i, j) = 1 / ((i + j)(i + j + 1) / 2 + i + 1),
 * truncated to n x n, by 10 power iterations u -> A^T A u; `rounds` times (rounds agree bit for bit).
 * A(i, j) is computed on the fly (integer denominator, converted to double, one division); each dot
 * product sums j = 0..n-1 in order. Result sqrt((u . v) / (v . v)).
 * The operations and their order are fixed (scalar IEEE doubles, no fused multiply-add, no
 * reassociation), so python3 doing the same operations in the same order gets the same bits.
 * Checksum: the IEEE-754 bits of the result; printed to 9 decimals by integer conversion.
 */
#include "compute.h"
#include "spectral.expected.h"

static inline double a(int64_t i, int64_t j)
{
    return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1);
}

static void mul_av(const double *v, double *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double sum = 0;
        for (int64_t j = 0; j < n; j++) {
            sum += a(i, j) * v[j];
        }
        out[i] = sum;
    }
}

static void mul_atv(const double *v, double *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double sum = 0;
        for (int64_t j = 0; j < n; j++) {
            sum += a(j, i) * v[j];
        }
        out[i] = sum;
    }
}

static void mul_atav(const double *v, double *out, double *tmp, int64_t n)
{
    mul_av(v, tmp, n);
    mul_atv(tmp, out, n);
}

static uint64_t run(const uint64_t *param)
{
    int64_t n = (int64_t)param[P_N];
    double *u = alloc((size_t)n * sizeof(double));
    double *v = alloc((size_t)n * sizeof(double));
    double *tmp = alloc((size_t)n * sizeof(double));
    uint64_t first = 0;
    for (uint64_t round = 0; round < param[P_ROUNDS]; round++) {
        for (int64_t i = 0; i < n; i++) {
            u[i] = 1.0;
        }
        for (int k = 0; k < 10; k++) {
            mul_atav(u, v, tmp, n);
            mul_atav(v, u, tmp, n);
        }
        double vbv = 0, vv = 0;
        for (int64_t i = 0; i < n; i++) {
            vbv += u[i] * v[i];
            vv += v[i] * v[i];
        }
        double result = __builtin_sqrt(vbv / vv);
        uint64_t bits;
        memcpy(&bits, &result, sizeof bits);
        if (round == 0) {
            first = bits;
            int64_t scaled = (int64_t)(result * 1e9);
            printf("spectral: norm %lld.%09lld\n", (long long)(scaled / 1000000000), (long long)(scaled % 1000000000));
        } else if (bits != first) {
            compute_fail("round %llu disagrees with round 0", (unsigned long long)round);
        }
    }
    return first;
}

int main(int argc, char **argv)
{
    return compute_main(argc, argv, &SPEC, run);
}
