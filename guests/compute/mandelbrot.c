/*
 * mandelbrot: escape-time Mandelbrot set in 64-bit fixed point (28 fraction bits), `width` x `height`
 * pixels over x in [-2.5, 1.0), y in [-1.25, 1.25), at most `max_iter` iterations per pixel;
 * `rounds` times.
 *   dx = (3.5 << 28) / width, dy = (2.5 << 28) / height (integer division);
 *   c = (-2.5 + px dx, -1.25 + py dy); z = 0;
 *   per iteration: zr2 = zr*zr >> 28, zi2 = zi*zi >> 28; stop if zr2 + zi2 > 4 << 28;
 *                  zi = (zr*zi >> 27) + ci; zr = zr2 - zi2 + cr     (>> is an arithmetic shift)
 * Checksum: mix64 over the iteration counts in row-major order. Reference: python3 integers (whose >> on
 * negative numbers is the same arithmetic shift).
 */
#include "compute.h"
#include "mandelbrot.expected.h"

#define FRAC 28

static uint64_t render(int64_t width, int64_t height, int64_t max_iter, uint64_t *total)
{
    const int64_t x0 = -(5ll << (FRAC - 1)), y0 = -(5ll << (FRAC - 2));
    const int64_t dx = (7ll << (FRAC - 1)) / width, dy = (5ll << (FRAC - 1)) / height;
    const int64_t bailout = 4ll << FRAC;
    uint64_t h = MIX_INIT, sum = 0;
    for (int64_t py = 0; py < height; py++) {
        int64_t ci = y0 + py * dy;
        for (int64_t px = 0; px < width; px++) {
            int64_t cr = x0 + px * dx;
            int64_t zr = 0, zi = 0, it = 0;
            for (; it < max_iter; it++) {
                int64_t zr2 = (zr * zr) >> FRAC;
                int64_t zi2 = (zi * zi) >> FRAC;
                if (zr2 + zi2 > bailout) {
                    break;
                }
                zi = ((zr * zi) >> (FRAC - 1)) + ci;
                zr = zr2 - zi2 + cr;
            }
            h = mix64(h, (uint64_t)it);
            sum += (uint64_t)it;
        }
    }
    *total = sum;
    return h;
}

static uint64_t run(const uint64_t *param)
{
    uint64_t first = 0;
    for (uint64_t round = 0; round < param[P_ROUNDS]; round++) {
        uint64_t total;
        uint64_t h = render((int64_t)param[P_WIDTH], (int64_t)param[P_HEIGHT], (int64_t)param[P_MAX_ITER], &total);
        if (round == 0) {
            first = h;
            printf("mandelbrot: %llu iterations in total\n", (unsigned long long)total);
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
