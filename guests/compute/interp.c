/*
 * interp: a register-machine bytecode interpreter (switch dispatch) running a branchy program:
 *   for n in 1..limit:
 *     steps = length of n's Collatz trajectory to 1 (x odd: 3x + 1, even: x / 2)
 *     total += steps; if steps > best: best = steps, best_n = n
 *     gsum += gcd(n, 720720)            (Euclid with remainders)
 * Checksum: mix64 of total, best, best_n, gsum (in that order, from MIX_INIT).
 * Reference: python3 computes the same quantities directly (memoised Collatz lengths, math.gcd), without
 * any interpreter.
 */
#include "compute.h"
#include "interp.expected.h"

enum op {
    OP_LI,      /* ra = imm */
    OP_MOV,     /* ra = rb */
    OP_ADD,     /* ra = rb + rc */
    OP_ADDI,    /* ra = rb + imm */
    OP_MUL,     /* ra = rb * rc */
    OP_ANDI,    /* ra = rb & imm */
    OP_SHRI,    /* ra = rb >> imm */
    OP_REMU,    /* ra = rb % rc (rc != 0) */
    OP_JMP,     /* pc = target */
    OP_BEQ,     /* if ra == rb: pc = target */
    OP_BZ,      /* if ra == 0: pc = target */
    OP_BLTU,    /* if ra < rb (unsigned): pc = target */
    OP_HALT,
    OP_LABEL,   /* assembler pseudo-op: defines label imm; removed when linking */
};

struct insn {
    uint8_t op, a, b, c;
    int32_t imm;                        /* immediate, or branch target (a label until linked) */
};

enum reg { R_N = 1, R_LIMIT, R_TOTAL, R_BEST, R_BEST_N, R_GSUM, R_X, R_STEPS, R_T, R_A, R_B, R_ONE, R_THREE,
           R_K, NREGS };
enum label { L_OUTER, L_COLLATZ, L_EVEN, L_DONE, L_NEWBEST, L_GCD_START, L_GCD, L_GCD_DONE, L_END, NLABELS };

#define I(op, a, b, c, imm) { OP_##op, a, b, c, imm }
#define LABEL(l) { OP_LABEL, 0, 0, 0, l }

static const struct insn source[] = {
    I(LI, R_TOTAL, 0, 0, 0),
    I(LI, R_BEST, 0, 0, 0),
    I(LI, R_BEST_N, 0, 0, 0),
    I(LI, R_GSUM, 0, 0, 0),
    I(LI, R_ONE, 0, 0, 1),
    I(LI, R_THREE, 0, 0, 3),
    I(LI, R_K, 0, 0, 720720),
    I(LI, R_N, 0, 0, 1),
    LABEL(L_OUTER),
    I(BLTU, R_LIMIT, R_N, 0, L_END),            /* while n <= limit */
    I(MOV, R_X, R_N, 0, 0),
    I(LI, R_STEPS, 0, 0, 0),
    LABEL(L_COLLATZ),
    I(BEQ, R_X, R_ONE, 0, L_DONE),
    I(ANDI, R_T, R_X, 0, 1),
    I(BZ, R_T, 0, 0, L_EVEN),
    I(MUL, R_X, R_X, R_THREE, 0),
    I(ADDI, R_X, R_X, 0, 1),
    I(ADDI, R_STEPS, R_STEPS, 0, 1),
    I(JMP, 0, 0, 0, L_COLLATZ),
    LABEL(L_EVEN),
    I(SHRI, R_X, R_X, 0, 1),
    I(ADDI, R_STEPS, R_STEPS, 0, 1),
    I(JMP, 0, 0, 0, L_COLLATZ),
    LABEL(L_DONE),
    I(ADD, R_TOTAL, R_TOTAL, R_STEPS, 0),
    I(BLTU, R_BEST, R_STEPS, 0, L_NEWBEST),
    I(JMP, 0, 0, 0, L_GCD_START),
    LABEL(L_NEWBEST),
    I(MOV, R_BEST, R_STEPS, 0, 0),
    I(MOV, R_BEST_N, R_N, 0, 0),
    LABEL(L_GCD_START),
    I(MOV, R_A, R_N, 0, 0),
    I(MOV, R_B, R_K, 0, 0),
    LABEL(L_GCD),
    I(BZ, R_B, 0, 0, L_GCD_DONE),
    I(REMU, R_T, R_A, R_B, 0),
    I(MOV, R_A, R_B, 0, 0),
    I(MOV, R_B, R_T, 0, 0),
    I(JMP, 0, 0, 0, L_GCD),
    LABEL(L_GCD_DONE),
    I(ADD, R_GSUM, R_GSUM, R_A, 0),
    I(ADDI, R_N, R_N, 0, 1),
    I(JMP, 0, 0, 0, L_OUTER),
    LABEL(L_END),
    I(HALT, 0, 0, 0, 0),
};

/* Drops the label pseudo-ops and turns branch labels into instruction indices. */
static size_t link_program(struct insn *code)
{
    int32_t at[NLABELS];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(source); i++) {
        if (source[i].op == OP_LABEL) {
            at[source[i].imm] = (int32_t)n;
        } else {
            code[n++] = source[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        switch (code[i].op) {
        case OP_JMP: case OP_BEQ: case OP_BZ: case OP_BLTU:
            code[i].imm = at[code[i].imm];
            break;
        default:
            break;
        }
    }
    return n;
}

static uint64_t execute(const struct insn *code, uint64_t *r, uint64_t *executed)
{
    size_t pc = 0;
    uint64_t count = 0;
    for (;;) {
        const struct insn *in = &code[pc++];
        count++;
        switch (in->op) {
        case OP_LI: r[in->a] = (uint64_t)(int64_t)in->imm; break;
        case OP_MOV: r[in->a] = r[in->b]; break;
        case OP_ADD: r[in->a] = r[in->b] + r[in->c]; break;
        case OP_ADDI: r[in->a] = r[in->b] + (uint64_t)(int64_t)in->imm; break;
        case OP_MUL: r[in->a] = r[in->b] * r[in->c]; break;
        case OP_ANDI: r[in->a] = r[in->b] & (uint64_t)(int64_t)in->imm; break;
        case OP_SHRI: r[in->a] = r[in->b] >> (in->imm & 63); break;
        case OP_REMU: r[in->a] = r[in->b] % r[in->c]; break;
        case OP_JMP: pc = (size_t)in->imm; break;
        case OP_BEQ: if (r[in->a] == r[in->b]) pc = (size_t)in->imm; break;
        case OP_BZ: if (r[in->a] == 0) pc = (size_t)in->imm; break;
        case OP_BLTU: if (r[in->a] < r[in->b]) pc = (size_t)in->imm; break;
        case OP_HALT: *executed = count; return r[0];
        default: compute_fail("bad opcode %u at %zu", in->op, pc - 1);
        }
    }
}

static uint64_t run(const uint64_t *param)
{
    struct insn code[ARRAY_SIZE(source)];
    link_program(code);
    uint64_t r[NREGS] = { 0 };
    r[R_LIMIT] = param[P_LIMIT];
    uint64_t executed;
    execute(code, r, &executed);
    printf("interp: %llu bytecodes; total steps %llu, longest %llu (n=%llu), gcd sum %llu\n",
           (unsigned long long)executed, (unsigned long long)r[R_TOTAL], (unsigned long long)r[R_BEST],
           (unsigned long long)r[R_BEST_N], (unsigned long long)r[R_GSUM]);
    uint64_t h = mix64(MIX_INIT, r[R_TOTAL]);
    h = mix64(h, r[R_BEST]);
    h = mix64(h, r[R_BEST_N]);
    return mix64(h, r[R_GSUM]);
}

int main(int argc, char **argv)
{
    return compute_main(argc, argv, &SPEC, run);
}
