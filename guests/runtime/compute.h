/*
 * compute.h - the self-checking harness of compute guests.
 *
 * A compute guest NAME has compute/NAME.c and a generated header NAME.expected.h (host/reference.py)
 * that defines `static const struct compute_spec SPEC`: parameter names and, per size ("small",
 * "bench"), parameter values and the expected checksum computed on the host by an independent
 * implementation. The guest's kernel computes a 64-bit checksum from the parameters; compute_main
 * compares it and prints the final line:
 *   PASS <name> <checksum-hex>                      exit 0
 *   FAIL <name> got <checksum> expected <expected>  exit 1
 * Arguments: a size word (default "small"); expect=<hex> replaces the expected answer; <param>=<n>
 * overrides a parameter (then, without expect=, the result is printed as "UNCHECKED <name> <checksum>").
 */
#ifndef JKVM_COMPUTE_H
#define JKVM_COMPUTE_H

#include "jkvm.h"

#define COMPUTE_MAX_PARAMS 6

struct compute_case {
    const char *size;
    uint64_t param[COMPUTE_MAX_PARAMS];
    uint64_t expected;
};

struct compute_spec {
    const char *const *param_names;     /* NULL-terminated */
    const struct compute_case *cases;
    size_t ncases;
};

typedef uint64_t (*compute_kernel)(const uint64_t *param);

int compute_main(int argc, char **argv, const struct compute_spec *spec, compute_kernel kernel);

/* An internal check failed (e.g. a round trip or sortedness): prints "FAIL <name> <message>", exits 1. */
NORETURN void compute_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
