/*
 * modexp: modular exponentiation of `bits`-bit numbers with 32-bit limbs, Montgomery multiplication
 * (CIOS) and left-to-right square-and-multiply; `count` exponentiations with one modulus.
 * Numbers come from the LCG (seed `seed`), limbs least significant first:
 *   modulus m: bits/32 limbs, then bit bits-1 and bit 0 set;
 *   per exponentiation: base b: bits/32 limbs with bit bits-1 cleared (so b < m); exponent e: bits/32
 *   limbs with bit bits-1 set.
 * Checksum: mix64 over the limbs (least significant first) of every b^e mod m.
 * Reference: python3 pow(b, e, m).
 */
#include "compute.h"
#include "modexp.expected.h"

#define MAX_LIMBS 256                   /* 8192 bits */

struct mont {
    size_t n;
    uint32_t m[MAX_LIMBS];
    uint32_t minv;                      /* -m^-1 mod 2^32 */
    uint32_t r2[MAX_LIMBS];             /* R^2 mod m, R = 2^(32n) */
    uint32_t one[MAX_LIMBS];            /* R mod m */
};

/* a >= b, both n limbs */
static bool geq(const uint32_t *a, const uint32_t *b, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        if (a[i] != b[i]) {
            return a[i] > b[i];
        }
    }
    return true;
}

/* a -= b, returns the borrow */
static uint32_t sub(uint32_t *a, const uint32_t *b, size_t n)
{
    uint64_t borrow = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)a[i] - b[i] - borrow;
        a[i] = (uint32_t)d;
        borrow = (d >> 32) & 1;
    }
    return (uint32_t)borrow;
}

/* out = a * b * R^-1 mod m (CIOS); out may alias a or b */
static void mont_mul(const struct mont *mt, uint32_t *out, const uint32_t *a, const uint32_t *b)
{
    size_t n = mt->n;
    uint32_t t[MAX_LIMBS + 2];
    memset(t, 0, (n + 2) * sizeof t[0]);
    for (size_t i = 0; i < n; i++) {
        uint64_t carry = 0;
        uint64_t bi = b[i];
        for (size_t j = 0; j < n; j++) {
            uint64_t s = (uint64_t)t[j] + (uint64_t)a[j] * bi + carry;
            t[j] = (uint32_t)s;
            carry = s >> 32;
        }
        uint64_t s = (uint64_t)t[n] + carry;
        t[n] = (uint32_t)s;
        t[n + 1] = (uint32_t)(s >> 32);

        uint64_t q = (uint32_t)(t[0] * mt->minv);
        s = (uint64_t)t[0] + q * mt->m[0];
        carry = s >> 32;
        for (size_t j = 1; j < n; j++) {
            s = (uint64_t)t[j] + q * mt->m[j] + carry;
            t[j - 1] = (uint32_t)s;
            carry = s >> 32;
        }
        s = (uint64_t)t[n] + carry;
        t[n - 1] = (uint32_t)s;
        t[n] = t[n + 1] + (uint32_t)(s >> 32);
    }
    if (t[n] != 0 || geq(t, mt->m, n)) {
        sub(t, mt->m, n);
    }
    memcpy(out, t, n * sizeof t[0]);
}

static void mont_setup(struct mont *mt)
{
    size_t n = mt->n;
    uint32_t inv = 1;                   /* Newton: inv = m0^-1 mod 2^32 */
    for (int k = 0; k < 5; k++) {
        inv *= 2 - mt->m[0] * inv;
    }
    mt->minv = 0u - inv;
    /* R mod m = 2^(32n) - m, since m > 2^(32n - 1) */
    memset(mt->one, 0, n * sizeof(uint32_t));
    sub(mt->one, mt->m, n);
    /* R^2 mod m: double R mod m 32n times */
    uint32_t x[MAX_LIMBS];
    memcpy(x, mt->one, n * sizeof(uint32_t));
    for (size_t k = 0; k < 32 * n; k++) {
        uint32_t top = x[n - 1] >> 31;
        for (size_t i = n - 1; i > 0; i--) {
            x[i] = x[i] << 1 | x[i - 1] >> 31;
        }
        x[0] <<= 1;
        if (top || geq(x, mt->m, n)) {
            sub(x, mt->m, n);
        }
    }
    memcpy(mt->r2, x, n * sizeof(uint32_t));
}

static void mod_pow(const struct mont *mt, uint32_t *out, const uint32_t *base, const uint32_t *exp)
{
    size_t n = mt->n;
    uint32_t b[MAX_LIMBS], acc[MAX_LIMBS], unit[MAX_LIMBS];
    mont_mul(mt, b, base, mt->r2);
    memcpy(acc, mt->one, n * sizeof(uint32_t));
    for (size_t i = 32 * n; i-- > 0;) {
        mont_mul(mt, acc, acc, acc);
        if ((exp[i / 32] >> (i % 32)) & 1) {
            mont_mul(mt, acc, acc, b);
        }
    }
    memset(unit, 0, n * sizeof(uint32_t));
    unit[0] = 1;
    mont_mul(mt, out, acc, unit);
}

static uint64_t run(const uint64_t *param)
{
    size_t n = param[P_BITS] / 32;
    if (n < 2 || n > MAX_LIMBS || param[P_BITS] % 32 != 0) {
        compute_fail("bits must be a multiple of 32 between 64 and %d", MAX_LIMBS * 32);
    }
    static struct mont mt;
    mt.n = n;
    struct rng rng;
    rng_seed(&rng, param[P_SEED]);
    for (size_t i = 0; i < n; i++) mt.m[i] = rng_next32(&rng);
    mt.m[n - 1] |= 0x80000000u;
    mt.m[0] |= 1;
    mont_setup(&mt);

    uint64_t h = MIX_INIT;
    uint32_t base[MAX_LIMBS], exp[MAX_LIMBS], r[MAX_LIMBS];
    for (uint64_t k = 0; k < param[P_COUNT]; k++) {
        for (size_t i = 0; i < n; i++) base[i] = rng_next32(&rng);
        base[n - 1] &= 0x7fffffffu;
        for (size_t i = 0; i < n; i++) exp[i] = rng_next32(&rng);
        exp[n - 1] |= 0x80000000u;
        mod_pow(&mt, r, base, exp);
        for (size_t i = 0; i < n; i++) {
            h = mix64(h, r[i]);
        }
        if (k == 0) {
            printf("modexp: first result, low limbs 0x%08x%08x\n", r[1], r[0]);
        }
    }
    return h;
}

int main(int argc, char **argv)
{
    return compute_main(argc, argv, &SPEC, run);
}
