/* compute.c - argument handling and PASS/FAIL reporting of compute guests (see compute.h). */
#include "compute.h"

#define EXIT_USAGE 2

static NORETURN void usage_error(const char *fmt, const char *what)
{
    printf("FAIL %s ", jkvm_guest_name);
    printf(fmt, what);
    printf("\n");
    exit(EXIT_USAGE);
}

NORETURN void compute_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s ", jkvm_guest_name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit(1);
}

int compute_main(int argc, char **argv, const struct compute_spec *spec, compute_kernel kernel)
{
    const char *size = "small";
    const char *expect_text = NULL;
    bool print_tsc = true;
    const char *overrides[COMPUTE_MAX_PARAMS] = { 0 };
    size_t nparams = 0;
    while (spec->param_names[nparams] != NULL) {
        nparams++;
    }

    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) {
            size = argv[i];
            continue;
        }
        size_t keylen = (size_t)(eq - argv[i]);
        if (keylen == 6 && strncmp(argv[i], "expect", 6) == 0) {
            expect_text = eq + 1;
            continue;
        }
        if (keylen == 3 && strncmp(argv[i], "tsc", 3) == 0 && strcmp(eq + 1, "off") == 0) {
            /* RDTSC is the only input that differs from run to run: without its line, the guest's output and
               instruction count are the same on every run. */
            print_tsc = false;
            continue;
        }
        size_t p = 0;
        while (p < nparams && !(strlen(spec->param_names[p]) == keylen
                                && strncmp(spec->param_names[p], argv[i], keylen) == 0)) {
            p++;
        }
        if (p == nparams) {
            usage_error("unknown argument '%s'", argv[i]);
        }
        overrides[p] = eq + 1;
    }

    const struct compute_case *c = NULL;
    for (size_t k = 0; k < spec->ncases; k++) {
        if (strcmp(spec->cases[k].size, size) == 0) {
            c = &spec->cases[k];
        }
    }
    if (c == NULL) {
        usage_error("unknown size '%s' (sizes: small, bench)", size);
    }

    uint64_t param[COMPUTE_MAX_PARAMS];
    bool overridden = false;
    for (size_t p = 0; p < COMPUTE_MAX_PARAMS; p++) {
        param[p] = c->param[p];
        if (p < nparams && overrides[p] != NULL) {
            if (!parse_u64(overrides[p], 10, &param[p])) {
                usage_error("bad number '%s'", overrides[p]);
            }
            overridden = true;
        }
    }
    uint64_t expected = c->expected;
    if (expect_text != NULL && !parse_u64(expect_text, 16, &expected)) {
        usage_error("bad expect= value '%s'", expect_text);
    }

    printf("%s: size=%s", jkvm_guest_name, size);
    for (size_t p = 0; p < nparams; p++) {
        printf(" %s=%llu", spec->param_names[p], (unsigned long long)param[p]);
    }
    printf("\n");

    uint64_t t0 = rdtsc();
    uint64_t got = kernel(param);
    uint64_t t1 = rdtsc();
    if (print_tsc) {
        printf("%s: tsc_cycles=%llu\n", jkvm_guest_name, (unsigned long long)(t1 - t0));
    }

    if (overridden && expect_text == NULL) {
        printf("UNCHECKED %s %016llx\n", jkvm_guest_name, (unsigned long long)got);
        return 0;
    }
    if (got != expected) {
        printf("FAIL %s got %016llx expected %016llx\n", jkvm_guest_name, (unsigned long long)got,
               (unsigned long long)expected);
        return 1;
    }
    printf("PASS %s %016llx\n", jkvm_guest_name, (unsigned long long)got);
    return 0;
}
