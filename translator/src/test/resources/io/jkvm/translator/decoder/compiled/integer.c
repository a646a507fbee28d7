/* Integer code for the decoder's compiled-code test: whatever gcc -O2 makes of it must decode exactly as
 * objdump reads it. No #include, so that it compiles for -m64, -m32 and -m16 without libc headers. */
typedef unsigned long size_t_;
struct pair { long a; int b; short c; char d; unsigned char e; };
struct big { int v[40]; };

int arith(int a, int b, unsigned c, unsigned d) {
    int r = a * b + (a >> 3) - (b / 7) + (int) (c % 13u) + (int) (d >> 5);
    r ^= (a & 0xff) | (b << 11);
    r += (a < b) ? a : b;
    r -= c > d ? 1 : -1;
    return r + (int) (c / d) + a % (b | 1);
}

long long wide(long long x, long long y, unsigned long long u) {
    return x * y + x / (y | 1) + (long long) (u >> 7) - (x >> 63) + (long long) (u % 1000003ull);
}

unsigned bits(unsigned x, unsigned long long y) {
    unsigned r = (unsigned) __builtin_ctz(x | 1) + (unsigned) __builtin_clz(x | 1) + (unsigned) __builtin_popcount(x);
    r += (unsigned) __builtin_ctzll(y | 1) + (unsigned) __builtin_bswap32(x) + (unsigned) (__builtin_bswap64(y) >> 40);
    r += (x << (y & 31)) | (x >> ((32 - (y & 31)) & 31));
    return r + (unsigned) __builtin_parity(x);
}

int classify(int op, int a, int b) {
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return b ? a / b : 0;
    case 4: return a & b;
    case 5: return a | b;
    case 6: return a ^ b;
    case 7: return a << (b & 31);
    case 8: return a >> (b & 31);
    case 9: return (unsigned) a >> (b & 31);
    default: return -1;
    }
}

void copy(struct big *d, const struct big *s) { *d = *s; }
void clear(struct big *d) { struct big z = {0}; *d = z; }

size_t_ length(const char *s) {
    size_t_ n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

int compare(const unsigned char *a, const unsigned char *b, int n) {
    for (int i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return a[i] < b[i] ? -1 : 1;
        }
    }
    return 0;
}

long fields(struct pair *p, long k) {
    p->a += k;
    p->b = (int) (p->a >> 2);
    p->c = (short) (p->b * 3);
    p->d = (char) (p->c ^ 0x55);
    p->e = (unsigned char) (p->d + 1);
    return p->a + p->b + p->c + p->d + p->e + (signed char) p->e + (unsigned short) p->c;
}

int sum(const int *v, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) {
        s += v[i] > 0 ? v[i] : -v[i];
    }
    return s;
}

void fill(unsigned char *d, int n, unsigned char v) {
    for (int i = 0; i < n; i++) {
        d[i] = (unsigned char) (v + i);
    }
}

int select3(int a, int b, int c) {
    int m = a > b ? a : b;
    return m > c ? m : c;
}

static int counter;
int *address_of(void) { return &counter; }
int bump(void) { return __atomic_add_fetch(&counter, 3, __ATOMIC_SEQ_CST); }
int swap_in(int v) { return __atomic_exchange_n(&counter, v, __ATOMIC_SEQ_CST); }
int cas(int expected, int v) {
    return __atomic_compare_exchange_n(&counter, &expected, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

long recurse(long n) { return n <= 1 ? 1 : n * recurse(n - 1) + recurse(n - 2); }

typedef int (*fn)(int, int, int);
int call_through(fn f, int x) { return f(x, x + 1, x + 2) + f(x, 0, 1); }
