/*
 * lz77: a greedy LZ77 compressor and its decompressor, round trip on generated text.
 *
 * Text: `length` bytes of words from a 64-word vocabulary (see make_text), seed `seed`.
 * Format: a literal run is a byte 0x00-0x7f (run length - 1, runs of 1..128) then the bytes; a match is
 * a byte 0x80 | (length - 4) (lengths 4..131) then the distance (1..65535) as 16 bits little-endian.
 * Match finder: at each token start i (with 4 bytes left) the table slot h = (le32(text + i) *
 * 2654435761 mod 2^32) >> 16 names the previous token start with that hash; it is replaced by i. That
 * candidate is a match when it is at most 65535 back and its first 4 bytes equal those at i; the match is
 * extended as far as possible (up to 131 bytes, overlapping allowed). Positions inside matches are not
 * entered in the table.
 * Each of `rounds` rounds compresses, decompresses and compares with the input.
 * Checksum: mix64(mix64(MIX_INIT, compressed length), CRC-32 of the compressed stream).
 * Reference: python3 implements the same format and match rule independently; zlib.crc32.
 */
#include "compute.h"
#include "lz77.expected.h"

#define HASH_BITS 16
#define MIN_MATCH 4
#define MAX_MATCH (MIN_MATCH + 127)
#define MAX_DISTANCE 65535
#define MAX_RUN 128
#define VOCABULARY 64

static size_t make_text(uint8_t *text, size_t length, uint64_t seed)
{
    struct rng rng;
    rng_seed(&rng, seed);
    char words[VOCABULARY][10];
    uint8_t lens[VOCABULARY];
    for (int w = 0; w < VOCABULARY; w++) {
        lens[w] = (uint8_t)(2 + rng_next32(&rng) % 8);
        for (int k = 0; k < lens[w]; k++) {
            words[w][k] = (char)('a' + rng_next32(&rng) % 26);
        }
    }
    size_t n = 0;
    while (n < length) {
        uint32_t r = rng_next32(&rng);
        int w = (int)(r % VOCABULARY);
        for (int k = 0; k < lens[w] && n < length; k++) {
            text[n++] = (uint8_t)words[w][k];
        }
        if (n < length) {
            text[n++] = ((r >> 8) % 16 == 0) ? '\n' : ' ';
        }
    }
    return n;
}

static inline uint32_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static size_t flush_literals(uint8_t *out, size_t o, const uint8_t *src, size_t n)
{
    while (n > 0) {
        size_t run = n < MAX_RUN ? n : MAX_RUN;
        out[o++] = (uint8_t)(run - 1);
        memcpy(out + o, src, run);
        o += run;
        src += run;
        n -= run;
    }
    return o;
}

static size_t compress(const uint8_t *in, size_t n, uint8_t *out, uint32_t *table)
{
    memset(table, 0, sizeof(uint32_t) << HASH_BITS);    /* slot value: position + 1, 0 = empty */
    size_t o = 0, literal_start = 0, i = 0;
    while (i < n) {
        if (i + MIN_MATCH <= n) {
            uint32_t h = (load32(in + i) * 2654435761u) >> (32 - HASH_BITS);
            size_t cand = table[h];
            table[h] = (uint32_t)(i + 1);
            if (cand != 0 && i - (cand - 1) <= MAX_DISTANCE && load32(in + cand - 1) == load32(in + i)) {
                const uint8_t *ref = in + cand - 1;
                size_t max = n - i < MAX_MATCH ? n - i : MAX_MATCH;
                size_t len = MIN_MATCH;
                while (len < max && ref[len] == in[i + len]) {
                    len++;
                }
                o = flush_literals(out, o, in + literal_start, i - literal_start);
                size_t dist = i - (cand - 1);
                out[o++] = (uint8_t)(0x80 | (len - MIN_MATCH));
                out[o++] = (uint8_t)dist;
                out[o++] = (uint8_t)(dist >> 8);
                i += len;
                literal_start = i;
                continue;
            }
        }
        i++;
    }
    return flush_literals(out, o, in + literal_start, n - literal_start);
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out, size_t capacity)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t tag = in[i++];
        if (tag < 0x80) {
            size_t run = (size_t)tag + 1;
            if (i + run > n || o + run > capacity) {
                compute_fail("corrupt literal run at compressed offset %zu", i - 1);
            }
            memcpy(out + o, in + i, run);
            i += run;
            o += run;
        } else {
            if (i + 2 > n) {
                compute_fail("truncated match at compressed offset %zu", i - 1);
            }
            size_t len = (size_t)(tag & 0x7f) + MIN_MATCH;
            size_t dist = in[i] | (size_t)in[i + 1] << 8;
            i += 2;
            if (dist == 0 || dist > o || o + len > capacity) {
                compute_fail("bad match (distance %zu, length %zu) at output %zu", dist, len, o);
            }
            for (size_t k = 0; k < len; k++) {  /* byte by byte: matches may overlap */
                out[o + k] = out[o + k - dist];
            }
            o += len;
        }
    }
    return o;
}

static uint64_t run(const uint64_t *param)
{
    size_t length = param[P_LENGTH];
    uint8_t *text = alloc(length);
    size_t n = make_text(text, length, param[P_SEED]);
    size_t bound = n + n / MAX_RUN + 16;
    uint8_t *packed = alloc(bound);
    uint8_t *unpacked = alloc(n);
    uint32_t *table = alloc(sizeof(uint32_t) << HASH_BITS);

    uint64_t first = 0;
    for (uint64_t round = 0; round < param[P_ROUNDS]; round++) {
        size_t m = compress(text, n, packed, table);
        size_t back = decompress(packed, m, unpacked, n);
        if (back != n || memcmp(unpacked, text, n) != 0) {
            compute_fail("round trip changed the data (%zu bytes in, %zu out)", n, back);
        }
        uint64_t h = mix64(mix64(MIX_INIT, m), crc32_update(0, packed, m));
        if (round == 0) {
            first = h;
            printf("lz77: %zu bytes -> %zu bytes (%llu.%02llu%%), round trip ok\n", n, m,
                   (unsigned long long)(m * 100 / n), (unsigned long long)(m * 10000 / n % 100));
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
