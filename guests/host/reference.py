#!/usr/bin/env python3
"""Expected answers of the jkvm compute guests, computed on the host by independent implementations.

Usage: reference.py NAME   writes NAME.expected.h (C) to standard output.

Each guest's parameters per size live here, and only here: the generated header gives the guest its
parameter names, the values for every size and the checksum expected for them. The computations use
python3's own machinery wherever it has one (hashlib, zlib, sorted, pow, re, math.gcd) and otherwise a
separate implementation written for this file; the guests' C code is never consulted. The deterministic
input data (the 64-bit LCG below) is the one thing both sides share by definition.

Sizes: "small" keeps each guest well under ~50 million instructions (a software emulator runs it in a
second or two); "bench" is about one to three billion instructions, about a second natively. Where this
reference would be too slow at bench scale (interpreting Python is ~50x slower than the guest), the
bench size repeats a representative problem `rounds` times instead of growing it.
"""

import array
import hashlib
import itertools
import math
import operator
import re
import struct
import sys
import zlib

M32 = (1 << 32) - 1
M64 = (1 << 64) - 1
MIX_INIT = 0xCBF29CE484222325
MIX_PRIME = 0x100000001B3
LCG_A = 6364136223846793005
LCG_C = 1442695040888963407


def mix64(h, v):
    return ((h ^ v) * MIX_PRIME) & M64


def mix_all(values, h=MIX_INIT):
    for v in values:
        h = ((h ^ v) * MIX_PRIME) & M64
    return h


class Lcg:
    """The guests' data generator: state = state * A + C mod 2^64, output the high 32 bits."""

    def __init__(self, seed):
        self.state = seed & M64

    def next32(self):
        self.state = (self.state * LCG_A + LCG_C) & M64
        return self.state >> 32

    def take(self, n):
        s = self.state
        out = [0] * n
        for i in range(n):
            s = (s * LCG_A + LCG_C) & M64
            out[i] = s >> 32
        self.state = s
        return out


def lcg_bytes(seed, length):
    """length bytes (a multiple of 4): the outputs stored little-endian."""
    values = Lcg(seed).take(length // 4)
    return struct.pack("<%dI" % len(values), *values)


# ---------------------------------------------------------------------------------------------- guests

def sha256(p):
    data = lcg_bytes(p["seed"], p["length"] & ~3)
    digest = hashlib.sha256(data).digest()
    for _ in range(1, p["rounds"]):
        digest = hashlib.sha256(digest + data).digest()
    return int.from_bytes(digest[:8], "big")


def crc32(p):
    data = lcg_bytes(p["seed"], p["length"] & ~3)
    crc = 0
    for _ in range(p["passes"]):
        crc = zlib.crc32(data, crc)
    return crc


def sort(p):
    values = sorted(Lcg(p["seed"]).take(p["count"]))
    return sum(map(operator.mul, range(1, len(values) + 1), values)) & M64


def sieve(p):
    limit = p["limit"]
    if limit < 2:
        return mix64(mix64(MIX_INIT, 0), 0)
    # odd[i] stands for 2i + 1
    odd = bytearray([1]) * ((limit + 1) // 2)
    odd[0] = 0
    for i in range(1, (math.isqrt(limit) + 1) // 2):
        if odd[i]:
            q = 2 * i + 1
            start = q * q // 2
            odd[start::q] = bytes(len(range(start, len(odd), q)))
    count = 1 + odd.count(1)
    total = 2 + sum(itertools.compress(range(1, limit + 1, 2), odd))
    return mix64(mix64(MIX_INIT, count), total & M64)


def matmul(p):
    n = p["n"]
    rng = Lcg(p["seed"])
    a = [rng.take(n) for _ in range(n)]
    b = [rng.take(n) for _ in range(n)]
    w, v, x, y = rng.take(n), rng.take(n), rng.take(n), rng.take(n)
    columns_a = list(zip(*a))

    def weighted(left, right):
        # sum_ij left_i right_j (A B)_ij = (left^T A) . (B right), never forming A B
        lt_a = [sum(map(operator.mul, left, col)) for col in columns_a]
        b_r = [sum(map(operator.mul, row, right)) for row in b]
        return sum(map(operator.mul, lt_a, b_r)) & M32

    return weighted(w, v) << 32 | weighted(x, y)


def lz77_text(length, seed):
    rng = Lcg(seed)
    words = []
    for _ in range(64):
        n = 2 + rng.next32() % 8
        words.append(bytes(ord("a") + rng.next32() % 26 for _ in range(n)))
    parts = []
    size = 0
    state = rng.state
    while size < length:
        state = (state * LCG_A + LCG_C) & M64
        r = state >> 32
        word = words[r % 64] + (b"\n" if (r >> 8) % 16 == 0 else b" ")
        parts.append(word)
        size += len(word)
    return b"".join(parts)[:length]


def lz77_compress(data):
    n = len(data)
    table = {}
    out = bytearray()
    literal_start = 0

    def literals(start, end):
        for s in range(start, end, 128):
            chunk = data[s:min(s + 128, end)]
            out.append(len(chunk) - 1)
            out.extend(chunk)

    i = 0
    while i < n:
        if i + 4 <= n:
            key = data[i:i + 4]
            h = ((int.from_bytes(key, "little") * 2654435761) & M32) >> 16
            cand = table.get(h)
            table[h] = i
            if cand is not None and i - cand <= 65535 and data[cand:cand + 4] == key:
                limit = min(131, n - i)
                length = 4
                while length < limit and data[cand + length] == data[i + length]:
                    length += 1
                literals(literal_start, i)
                dist = i - cand
                out.append(0x80 | (length - 4))
                out.append(dist & 0xFF)
                out.append(dist >> 8)
                i += length
                literal_start = i
                continue
        i += 1
    literals(literal_start, n)
    return bytes(out)


def lz77(p):
    packed = lz77_compress(lz77_text(p["length"], p["seed"]))
    return mix64(mix64(MIX_INIT, len(packed)), zlib.crc32(packed))


def mandelbrot(p):
    frac = 28
    width, height, max_iter = p["width"], p["height"], p["max_iter"]
    x0, y0 = -(5 << (frac - 1)), -(5 << (frac - 2))
    dx, dy = (7 << (frac - 1)) // width, (5 << (frac - 1)) // height
    bailout = 4 << frac
    h = MIX_INIT
    for py in range(height):
        ci = y0 + py * dy
        for px in range(width):
            cr = x0 + px * dx
            zr = zi = 0
            it = 0
            while it < max_iter:
                zr2 = (zr * zr) >> frac
                zi2 = (zi * zi) >> frac
                if zr2 + zi2 > bailout:
                    break
                zi = ((zr * zi) >> (frac - 1)) + ci
                zr = zr2 - zi2 + cr
                it += 1
            h = ((h ^ it) * MIX_PRIME) & M64
    return h


def modexp(p):
    bits = p["bits"]
    limbs = bits // 32
    rng = Lcg(p["seed"])

    def number(values):
        return sum(v << (32 * i) for i, v in enumerate(values))

    m = number(rng.take(limbs)) | (1 << (bits - 1)) | 1
    h = MIX_INIT
    for _ in range(p["count"]):
        base = number(rng.take(limbs)) & ~(1 << (bits - 1))
        exponent = number(rng.take(limbs)) | (1 << (bits - 1))
        r = pow(base, exponent, m)
        h = mix_all(((r >> (32 * i)) & M32 for i in range(limbs)), h)
    return h


def interp(p):
    limit = p["limit"]
    # steps[x] for every x < n is known when n is reached: follow n's trajectory until it drops below n
    steps = [0] * (limit + 1)
    total = best = best_n = gsum = 0
    for n in range(2, limit + 1):
        x, s = n, 0
        while x >= n:
            x = 3 * x + 1 if x & 1 else x >> 1
            s += 1
        s += steps[x]
        steps[n] = s
        total += s
        if s > best:
            best, best_n = s, n
    gsum = sum(math.gcd(n, 720720) for n in range(1, limit + 1))
    return mix_all([total & M64, best, best_n, gsum & M64])


KEYWORDS = ["if", "else", "while", "for", "return", "int", "char", "void"]
OPERATORS = ["+", "-", "*", "/", "=", "==", "!=", "<=", ">=", "<", ">", "&&", "||", "(", ")", "{", "}", ";", ","]
TOKEN = re.compile(
    r'(?P<space>[ \t\n]+)|(?P<comment>//[^\n]*)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<hex>0[xX][0-9a-fA-F]+)'
    r'|(?P<dec>[0-9]+)|(?P<string>"[^"\n]*")|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/=<>(){};,])|(?P<error>.)',
    re.S)
KIND = {"word": 1, "keyword": 2, "hex": 3, "dec": 3, "string": 4, "op": 5, "comment": 6, "error": 7}


def tokenize_text(length, seed):
    rng = Lcg(seed)
    out = []
    size = 0
    while size < length:
        r = rng.next32()
        sel = r % 8
        if sel <= 2:
            tok = "".join(chr(97 + rng.next32() % 26) for _ in range(1 + (r >> 3) % 8))
        elif sel == 3:
            tok = KEYWORDS[(r >> 3) % 8]
        elif sel == 4:
            tok = str((r >> 3) % 100000)
        elif sel == 5:
            tok = "0x%x" % rng.next32()
        elif sel == 6:
            tok = OPERATORS[(r >> 3) % 19]
        else:
            body = "".join(" " if c == 0 else chr(96 + c) for c in (rng.next32() % 27 for _ in range((r >> 4) % 12)))
            tok = '"' + body + '"' if (r >> 3) & 1 else "//" + body + "\n"
        tok += {5: "\n", 6: "\t", 7: ""}.get(rng.next32() % 8, " ")
        out.append(tok)
        size += len(tok)
    return "".join(out)[:length].encode("ascii")


def tokenize(p):
    text = tokenize_text(p["length"], p["seed"]).decode("ascii")
    keywords = set(KEYWORDS)
    counts = [0] * 8
    h = MIX_INIT
    crc = zlib.crc32
    for m in TOKEN.finditer(text):
        group = m.lastgroup
        if group == "space":
            continue
        token = m.group()
        if group == "word" and token in keywords:
            group = "keyword"
        kind = KIND[group]
        counts[kind] += 1
        h = ((h ^ (kind << 32 | crc(token.encode("ascii")))) * MIX_PRIME) & M64
        if group == "hex":
            h = ((h ^ (int(token[2:], 16) & M64)) * MIX_PRIME) & M64
        elif group == "dec":
            h = ((h ^ (int(token) & M64)) * MIX_PRIME) & M64
    return mix_all(counts[1:], h)


def double_bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def nbody(p):
    pi = 3.141592653589793
    solar_mass = 4 * pi * pi
    days_per_year = 365.24
    # x, y, z, vx, vy, vz, mass: same literals and the same operations as the guest's table
    bodies = [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, solar_mass],
        [4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03 * days_per_year, 7.69901118419740425e-03 * days_per_year,
         -6.90460016972063023e-05 * days_per_year, 9.54791938424326609e-04 * solar_mass],
        [8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03 * days_per_year, 4.99852801234917238e-03 * days_per_year,
         2.30417297573763929e-05 * days_per_year, 2.85885980666130812e-04 * solar_mass],
        [1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03 * days_per_year, 2.37847173959480950e-03 * days_per_year,
         -2.96589568540237556e-05 * days_per_year, 4.36624404335156298e-05 * solar_mass],
        [1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03 * days_per_year, 1.62824170038242295e-03 * days_per_year,
         -9.51592254519715870e-05 * days_per_year, 5.15138902046611451e-05 * solar_mass],
    ]
    px = py = pz = 0.0
    for b in bodies:
        px += b[3] * b[6]
        py += b[4] * b[6]
        pz += b[5] * b[6]
    bodies[0][3] = -px / solar_mass
    bodies[0][4] = -py / solar_mass
    bodies[0][5] = -pz / solar_mass

    pairs = [(bodies[i], bodies[j]) for i in range(5) for j in range(i + 1, 5)]
    sqrt = math.sqrt
    dt = 0.01
    for _ in range(p["steps"]):
        for bi, bj in pairs:
            dx = bi[0] - bj[0]
            dy = bi[1] - bj[1]
            dz = bi[2] - bj[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * sqrt(d2))
            mi, mj = bi[6], bj[6]
            bi[3] -= dx * mj * mag
            bi[4] -= dy * mj * mag
            bi[5] -= dz * mj * mag
            bj[3] += dx * mi * mag
            bj[4] += dy * mi * mag
            bj[5] += dz * mi * mag
        for b in bodies:
            b[0] += dt * b[3]
            b[1] += dt * b[4]
            b[2] += dt * b[5]

    e = 0.0
    for i, bi in enumerate(bodies):
        e += 0.5 * bi[6] * (bi[3] * bi[3] + bi[4] * bi[4] + bi[5] * bi[5])
        for bj in bodies[i + 1:]:
            dx = bi[0] - bj[0]
            dy = bi[1] - bj[1]
            dz = bi[2] - bj[2]
            e -= (bi[6] * bj[6]) / sqrt(dx * dx + dy * dy + dz * dz)
    return double_bits(e)


def spectral(p):
    n = p["n"]
    # rows of A and of A^T, each entry one correctly rounded division of exact integers, as in the guest
    rows = [[1.0 / ((i + j) * (i + j + 1) // 2 + i + 1) for j in range(n)] for i in range(n)]
    cols = [[1.0 / ((j + i) * (j + i + 1) // 2 + j + 1) for j in range(n)] for i in range(n)]

    def times(matrix, v):
        out = []
        for row in matrix:
            s = 0.0
            for aij, vj in zip(row, v):
                s += aij * vj           # strictly left to right, like the guest's loop
            out.append(s)
        return out

    u = [1.0] * n
    for _ in range(10):
        v = times(cols, times(rows, u))
        u = times(cols, times(rows, v))
    vbv = vv = 0.0
    for ui, vi in zip(u, v):
        vbv += ui * vi
        vv += vi * vi
    return double_bits(math.sqrt(vbv / vv))


# ---------------------------------------------------------------------------------------------- sizes

GUESTS = {
    "sha256": (sha256, {
        "small": dict(length=16384, rounds=2, seed=1),
        "bench": dict(length=1 << 20, rounds=32, seed=1)}),
    "crc32": (crc32, {
        "small": dict(length=65536, passes=2, seed=2),
        "bench": dict(length=1 << 20, passes=512, seed=2)}),
    "sort": (sort, {
        "small": dict(count=20000, rounds=1, seed=3),
        "bench": dict(count=1000000, rounds=8, seed=3)}),
    "sieve": (sieve, {
        "small": dict(limit=1000000, rounds=1),
        "bench": dict(limit=100000000, rounds=2)}),
    "matmul": (matmul, {
        "small": dict(n=64, rounds=1, seed=5),
        "bench": dict(n=700, rounds=1, seed=5)}),
    "lz77": (lz77, {
        "small": dict(length=65536, rounds=1, seed=6),
        "bench": dict(length=1 << 20, rounds=32, seed=6)}),
    "mandelbrot": (mandelbrot, {
        "small": dict(width=64, height=48, max_iter=64, rounds=1),
        "bench": dict(width=320, height=240, max_iter=256, rounds=40)}),
    "modexp": (modexp, {
        "small": dict(bits=256, count=4, seed=8),
        "bench": dict(bits=2048, count=8, seed=8)}),
    "interp": (interp, {
        "small": dict(limit=3000),
        "bench": dict(limit=250000)}),
    "tokenize": (tokenize, {
        "small": dict(length=65536, rounds=1, seed=10),
        "bench": dict(length=1 << 20, rounds=48, seed=10)}),
    "nbody": (nbody, {
        "small": dict(steps=2000, rounds=1),
        "bench": dict(steps=100000, rounds=40)}),
    "spectral": (spectral, {
        "small": dict(n=100, rounds=1),
        "bench": dict(n=500, rounds=12)}),
}

def header(name):
    function, sizes = GUESTS[name]
    names = list(next(iter(sizes.values())).keys())
    if any(list(p.keys()) != names for p in sizes.values()):
        raise SystemExit("%s: every size must list the same parameters in the same order" % name)
    if len(names) > 6:
        raise SystemExit("%s: at most 6 parameters (COMPUTE_MAX_PARAMS)" % name)
    lines = [
        "/* Generated by host/reference.py for the %s guest: do not edit. */" % name,
        "enum { %s };" % ", ".join("P_%s" % n.upper() for n in names),
        "static const char *const PARAM_NAMES[] = { %s, NULL };" % ", ".join('"%s"' % n for n in names),
        "static const struct compute_case CASES[] = {",
    ]
    for size, params in sizes.items():
        expected = function(params)
        values = ", ".join("%dULL" % params[n] for n in names)
        lines.append('    { "%s", { %s }, 0x%016xULL },' % (size, values, expected))
    lines.append("};")
    lines.append("static const struct compute_spec SPEC = { PARAM_NAMES, CASES, %d };" % len(sizes))
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) != 2 or argv[1] not in GUESTS:
        raise SystemExit("usage: reference.py NAME   (NAME: %s)" % ", ".join(GUESTS))
    sys.stdout.write(header(argv[1]))


if __name__ == "__main__":
    main(sys.argv)
