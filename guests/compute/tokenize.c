/*
 * tokenize: a hand-written scanner over generated C-like text, `rounds` times.
 *
 * Text (make_text, seed `seed`, `length` bytes): tokens drawn from the LCG, r = next: r % 8 picks
 *   0-2 identifier: 1 + (r >> 3) % 8 letters, each 'a' + next % 26
 *   3 keyword: KEYWORDS[(r >> 3) % 8]
 *   4 decimal number: (r >> 3) % 100000
 *   5 hex number: "0x" and next in lowercase hex without leading zeros
 *   6 operator: OPERATORS[(r >> 3) % 19]
 *   7 (r >> 3) odd: string: '"', (r >> 4) % 12 characters each ' ' or 'a' + (next % 27 - 1), '"'
 *     (r >> 3) even: comment: "//", (r >> 4) % 12 such characters, '\n'
 * each followed by a separator chosen by next % 8: 0-4 ' ', 5 '\n', 6 '\t', 7 none (tokens may then run
 * together; the scanner only sees the text).
 * Lexical rules, first match wins: whitespace [ \t\n]+ (skipped); comment "//" to the end of the line;
 * identifier [A-Za-z_][A-Za-z0-9_]* (a keyword if in KEYWORDS); hex number 0[xX][0-9a-fA-F]+; decimal
 * number [0-9]+; string "[^"\n]*"; operator, two-character ones first; anything else is a one-character
 * error token.
 * Checksum: per token h = mix64(h, kind << 32 | crc32(token text)), numbers then also
 * h = mix64(h, value mod 2^64); at the end h = mix64(h, count of kind k) for kinds 1..7.
 * Reference: python3 generates the same text and scans it with a regular expression (re) instead.
 */
#include "compute.h"
#include "tokenize.expected.h"

enum kind { K_IDENT = 1, K_KEYWORD, K_NUMBER, K_STRING, K_OP, K_COMMENT, K_ERROR, NKINDS };

static const char *const KEYWORDS[8] = { "if", "else", "while", "for", "return", "int", "char", "void" };
static const char *const OPERATORS[19] = { "+", "-", "*", "/", "=", "==", "!=", "<=", ">=", "<", ">", "&&",
                                           "||", "(", ")", "{", "}", ";", "," };

struct text {
    char *p;
    size_t n, cap;
};

static void put(struct text *t, char c)
{
    if (t->n < t->cap) {
        t->p[t->n] = c;
    }
    t->n++;
}

static void put_str(struct text *t, const char *s)
{
    while (*s) {
        put(t, *s++);
    }
}

static size_t make_text(char *buf, size_t length, uint64_t seed)
{
    struct text t = { buf, 0, length };
    struct rng rng;
    rng_seed(&rng, seed);
    while (t.n < length) {
        uint32_t r = rng_next32(&rng);
        switch (r % 8) {
        case 0: case 1: case 2: {
            uint32_t len = 1 + (r >> 3) % 8;
            for (uint32_t k = 0; k < len; k++) {
                put(&t, (char)('a' + rng_next32(&rng) % 26));
            }
            break;
        }
        case 3:
            put_str(&t, KEYWORDS[(r >> 3) % 8]);
            break;
        case 4: {
            char digits[8];
            snprintf(digits, sizeof digits, "%u", (r >> 3) % 100000);
            put_str(&t, digits);
            break;
        }
        case 5: {
            char digits[12];
            snprintf(digits, sizeof digits, "0x%x", rng_next32(&rng));
            put_str(&t, digits);
            break;
        }
        case 6:
            put_str(&t, OPERATORS[(r >> 3) % 19]);
            break;
        default: {
            bool string = (r >> 3) & 1;
            uint32_t len = (r >> 4) % 12;
            put_str(&t, string ? "\"" : "//");
            for (uint32_t k = 0; k < len; k++) {
                uint32_t c = rng_next32(&rng) % 27;
                put(&t, c == 0 ? ' ' : (char)('a' + c - 1));
            }
            put(&t, string ? '"' : '\n');
            break;
        }
        }
        switch (rng_next32(&rng) % 8) {
        case 5: put(&t, '\n'); break;
        case 6: put(&t, '\t'); break;
        case 7: break;
        default: put(&t, ' '); break;
        }
    }
    return length;                      /* the last token may be cut off: the text is exactly length bytes */
}

enum cls { C_OTHER, C_SPACE, C_ALPHA, C_DIGIT };
static uint8_t cls[256];
static uint8_t hexdigit[256];           /* value + 1, 0 = not a hex digit */

static void make_classes(void)
{
    for (int c = 0; c < 256; c++) {
        cls[c] = C_OTHER;
        if (c == ' ' || c == '\t' || c == '\n') cls[c] = C_SPACE;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') cls[c] = C_ALPHA;
        if (c >= '0' && c <= '9') cls[c] = C_DIGIT;
        if (c >= '0' && c <= '9') hexdigit[c] = (uint8_t)(c - '0' + 1);
        if (c >= 'a' && c <= 'f') hexdigit[c] = (uint8_t)(c - 'a' + 11);
        if (c >= 'A' && c <= 'F') hexdigit[c] = (uint8_t)(c - 'A' + 11);
    }
}

static bool is_keyword(const char *s, size_t n)
{
    for (size_t k = 0; k < ARRAY_SIZE(KEYWORDS); k++) {
        if (strlen(KEYWORDS[k]) == n && memcmp(KEYWORDS[k], s, n) == 0) {
            return true;
        }
    }
    return false;
}

static size_t operator_length(const char *s, size_t left)
{
    if (left >= 2) {
        char a = s[0], b = s[1];
        if ((b == '=' && (a == '=' || a == '!' || a == '<' || a == '>')) || (a == '&' && b == '&')
            || (a == '|' && b == '|')) {
            return 2;
        }
    }
    return strchr("+-*/=<>(){};,", s[0]) != NULL && s[0] != '\0' ? 1 : 0;
}

static uint64_t scan(const char *s, size_t n, uint64_t counts[NKINDS])
{
    uint64_t h = MIX_INIT;
    memset(counts, 0, NKINDS * sizeof counts[0]);
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t start = i;
        enum kind kind;
        uint64_t value = 0;
        bool number = false;
        if (cls[c] == C_SPACE) {
            while (i < n && cls[(unsigned char)s[i]] == C_SPACE) i++;
            continue;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '/') {
            while (i < n && s[i] != '\n') i++;
            kind = K_COMMENT;
        } else if (cls[c] == C_ALPHA) {
            while (i < n && (cls[(unsigned char)s[i]] == C_ALPHA || cls[(unsigned char)s[i]] == C_DIGIT)) i++;
            kind = is_keyword(s + start, i - start) ? K_KEYWORD : K_IDENT;
        } else if (c == '0' && i + 2 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')
                   && hexdigit[(unsigned char)s[i + 2]]) {
            i += 2;
            while (i < n && hexdigit[(unsigned char)s[i]]) {
                value = value * 16 + (uint64_t)(hexdigit[(unsigned char)s[i]] - 1);
                i++;
            }
            kind = K_NUMBER;
            number = true;
        } else if (cls[c] == C_DIGIT) {
            while (i < n && cls[(unsigned char)s[i]] == C_DIGIT) {
                value = value * 10 + (uint64_t)(s[i] - '0');
                i++;
            }
            kind = K_NUMBER;
            number = true;
        } else if (c == '"') {
            size_t j = i + 1;
            while (j < n && s[j] != '"' && s[j] != '\n') j++;
            if (j < n && s[j] == '"') {
                i = j + 1;
                kind = K_STRING;
            } else {
                i++;
                kind = K_ERROR;
            }
        } else {
            size_t len = operator_length(s + i, n - i);
            i += len ? len : 1;
            kind = len ? K_OP : K_ERROR;
        }
        counts[kind]++;
        h = mix64(h, (uint64_t)kind << 32 | crc32_update(0, s + start, i - start));
        if (number) {
            h = mix64(h, value);
        }
    }
    for (int k = 1; k < NKINDS; k++) {
        h = mix64(h, counts[k]);
    }
    return h;
}

static uint64_t run(const uint64_t *param)
{
    size_t length = param[P_LENGTH];
    char *text = alloc(length + 1);
    make_text(text, length, param[P_SEED]);
    text[length] = '\0';
    make_classes();
    uint64_t first = 0;
    for (uint64_t round = 0; round < param[P_ROUNDS]; round++) {
        uint64_t counts[NKINDS];
        uint64_t h = scan(text, length, counts);
        if (round == 0) {
            first = h;
            printf("tokenize: %llu identifiers, %llu keywords, %llu numbers, %llu strings, %llu operators, "
                   "%llu comments, %llu errors\n",
                   (unsigned long long)counts[K_IDENT], (unsigned long long)counts[K_KEYWORD],
                   (unsigned long long)counts[K_NUMBER], (unsigned long long)counts[K_STRING],
                   (unsigned long long)counts[K_OP], (unsigned long long)counts[K_COMMENT],
                   (unsigned long long)counts[K_ERROR]);
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
