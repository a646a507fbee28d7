/* Floating-point and vectorisable code for the decoder's compiled-code test (SSE/SSE2 at plain -O2 for
 * x86-64, x87 for -m32). No #include. */
double dmath(double x, double y, int i, long l) {
    double r = x * y + x / (y + 1.0) - (double) i + (double) l;
    r = r < x ? x : r;
    r = r > y ? y : r;
    return r + __builtin_sqrt(x * x + y * y) + __builtin_fabs(x - y);
}

float fmath(float x, float y, unsigned u) {
    float r = x * y - x / (y + 1.0f) + (float) u;
    return r > 0.0f ? __builtin_sqrtf(r) : -r;
}

int convert(double d, float f) { return (int) d + (int) f + (int) (long) (d * 3.5) + (d < f) + (d != f); }
long lconvert(double d) { return (long) d; }
float narrow(double d) { return (float) d; }
double widen(float f) { return (double) f; }
unsigned uconv(double d) { return (unsigned) d; }
double from_unsigned(unsigned long long u) { return (double) u; }

void saxpy(float *restrict y, const float *restrict x, float a, int n) {
    for (int i = 0; i < n; i++) {
        y[i] = a * x[i] + y[i];
    }
}

void daxpy(double *restrict y, const double *restrict x, double a, int n) {
    for (int i = 0; i < n; i++) {
        y[i] += a * x[i];
    }
}

void iadd(int *restrict d, const int *restrict a, const int *restrict b, int n) {
    for (int i = 0; i < n; i++) {
        d[i] = a[i] + b[i] * 3 - (a[i] >> 2);
    }
}

void bytes(unsigned char *restrict d, const unsigned char *restrict a, const unsigned char *restrict b, int n) {
    for (int i = 0; i < n; i++) {
        d[i] = (unsigned char) ((a[i] + b[i] + 1) >> 1);
        d[i] = d[i] > a[i] ? d[i] : a[i];
    }
}

void shorts(short *restrict d, const short *restrict a, const short *restrict b, int n) {
    for (int i = 0; i < n; i++) {
        d[i] = (short) (a[i] * b[i]) + (short) (a[i] < b[i] ? a[i] : b[i]);
    }
}

float dot(const float *a, const float *b, int n) {
    float s = 0.0f;
    for (int i = 0; i < n; i++) {
        s += a[i] * b[i];
    }
    return s;
}

double maxabs(const double *v, int n) {
    double m = 0.0;
    for (int i = 0; i < n; i++) {
        double a = v[i] < 0 ? -v[i] : v[i];
        m = a > m ? a : m;
    }
    return m;
}

int count_equal(const int *a, const int *b, int n) {
    int c = 0;
    for (int i = 0; i < n; i++) {
        c += a[i] == b[i];
    }
    return c;
}

long long mul64(const unsigned *a, int n) {
    unsigned long long s = 0;
    for (int i = 0; i < n; i++) {
        s += (unsigned long long) a[i] * a[i];
    }
    return (long long) s;
}
