/*
 * crc32: CRC-32 (the IEEE/zlib polynomial, reflected 0xEDB88320) by slicing-by-8 tables.
 * Data: `length` bytes, the LCG's 32-bit outputs stored little-endian (seed `seed`), run through the CRC
 * `passes` times as one continuous stream. Checksum: the CRC. Reference: python3 zlib.crc32.
 */
#include "compute.h"
#include "crc32.expected.h"

static uint32_t table[8][256];

static void make_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
        }
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) {
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
        }
    }
}

static uint32_t crc32_slice8(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= crc;
        crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24]
            ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^ table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
    }
    for (; n > 0; p++, n--) {
        crc = (crc >> 8) ^ table[0][(crc ^ *p) & 0xff];
    }
    return ~crc;
}

static uint64_t run(const uint64_t *param)
{
    size_t length = param[P_LENGTH] & ~(size_t)3;
    uint8_t *data = alloc(length);
    struct rng rng;
    rng_seed(&rng, param[P_SEED]);
    for (size_t i = 0; i < length; i += 4) {
        uint32_t v = rng_next32(&rng);
        memcpy(data + i, &v, 4);
    }
    make_tables();
    /* the runtime's bytewise CRC must agree on a prefix: two implementations, one answer */
    size_t probe = length < 4096 ? length : 4096;
    if (crc32_slice8(0, data, probe) != crc32_update(0, data, probe)) {
        compute_fail("slicing-by-8 and bytewise CRC disagree on the first %zu bytes", probe);
    }
    uint32_t crc = 0;
    for (uint64_t pass = 0; pass < param[P_PASSES]; pass++) {
        crc = crc32_slice8(crc, data, length);
    }
    printf("crc32: crc 0x%08x over %llu bytes\n", crc, (unsigned long long)(length * param[P_PASSES]));
    return crc;
}

int main(int argc, char **argv)
{
    return compute_main(argc, argv, &SPEC, run);
}
