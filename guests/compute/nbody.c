/*
 * nbody: the Sun and the four giant planets (positions in AU, velocities in AU/year, masses in solar
 * masses times 4 pi^2), symplectic Euler steps of dt = 0.01 years with pairwise gravity; `steps` steps,
 * the whole simulation repeated `rounds` times (rounds must agree bit for bit).
 * The floating-point operations and their order are fixed (scalar IEEE doubles, no fused multiply-add,
 * no reassociation), so the result is exactly reproducible: the reference in python3 does the same
 * operations in the same order and gets the same bits.
 * Checksum: the IEEE-754 bits of the final energy. Printed: the energy before and after, to 9 decimals
 * by integer conversion.
 */
#include "compute.h"
#include "nbody.expected.h"

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NBODIES 5

struct body {
    double x, y, z, vx, vy, vz, mass;
};

static const struct body INITIAL[NBODIES] = {
    { 0, 0, 0, 0, 0, 0, SOLAR_MASS },
    {   /* Jupiter */
        4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
        1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
        -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS },
    {   /* Saturn */
        8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
        -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
        2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS },
    {   /* Uranus */
        1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
        2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
        -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS },
    {   /* Neptune */
        1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
        2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
        -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS },
};

static inline double root(double x) { return __builtin_sqrt(x); }

static void offset_momentum(struct body *b)
{
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / SOLAR_MASS;
    b[0].vy = -py / SOLAR_MASS;
    b[0].vz = -pz / SOLAR_MASS;
}

static double energy(const struct body *b)
{
    double e = 0;
    for (int i = 0; i < NBODIES; i++) {
        e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= (b[i].mass * b[j].mass) / root(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(struct body *b, double dt)
{
    for (int i = 0; i < NBODIES; i++) {
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * root(d2));
            b[i].vx -= dx * b[j].mass * mag;
            b[i].vy -= dy * b[j].mass * mag;
            b[i].vz -= dz * b[j].mass * mag;
            b[j].vx += dx * b[i].mass * mag;
            b[j].vy += dy * b[i].mass * mag;
            b[j].vz += dz * b[i].mass * mag;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

/* "-0.169075164": value to 9 decimals, truncated, through integers */
static void print_fixed9(const char *label, double v)
{
    int64_t scaled = (int64_t)(v * 1e9);
    uint64_t mag = scaled < 0 ? -(uint64_t)scaled : (uint64_t)scaled;
    printf("nbody: %s %s%llu.%09llu\n", label, scaled < 0 ? "-" : "", (unsigned long long)(mag / 1000000000u),
           (unsigned long long)(mag % 1000000000u));
}

static uint64_t run(const uint64_t *param)
{
    uint64_t first = 0;
    for (uint64_t round = 0; round < param[P_ROUNDS]; round++) {
        struct body b[NBODIES];
        memcpy(b, INITIAL, sizeof b);
        offset_momentum(b);
        double before = energy(b);
        for (uint64_t s = 0; s < param[P_STEPS]; s++) {
            advance(b, 0.01);
        }
        double after = energy(b);
        uint64_t bits;
        memcpy(&bits, &after, sizeof bits);
        if (round == 0) {
            first = bits;
            print_fixed9("energy before", before);
            print_fixed9("energy after ", after);
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
