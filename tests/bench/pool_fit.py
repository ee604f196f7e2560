#!/usr/bin/env python3
"""pool_fit.py: block sizes and counts for the TLS pool (server/budget.h
GH_TLS_BUCKETS) from allocation traces (tests/bench/alloc_trace.c).

  pool_fit.py GATEHOUSE_BINARY SESSIONS MAX_SIZES BASE_TRACE IDLE_TRACE CONN_TRACE...

Only wolfSSL's blocks count: callers inside pool_web_* or civetweb.c
(civetweb's pool: on the C library's heap pool_web_malloc() ends in a tail
call, so the caller recorded may be civetweb's own function; nm's line
numbers, from the build's debug information, say which file a function is
in) and callers outside the executable (the C library's own blocks) are left
out.

For each candidate set of sizes, a block size's count per session is the
most blocks of that size one connection holds at once, over all the
connection traces (P-256/P-384/RSA clients, TLS 1.2 and 1.3, refused and
allowed), and its base count the most the base trace (start-up and reloads)
holds at once. The sizes are chosen (dynamic programming over the sizes seen)
to make SESSIONS x session + base the fewest bytes, each block costing
OVERHEAD bytes more. The record buffer size (16992, one per session, two in
the base) and one block as large as crl.pem may be (added by hand in
budget.h) come on top. Prints the X(...) list and what one session, the base
and one idle connection take with it.
"""
import re
import subprocess
import sys

OVERHEAD = 32
RECORD = 16992
FOREVER = 10 ** 12


def excluded_ranges(binary):
    out = subprocess.run(["nm", "-S", "-l", "--defined-only", binary],
                         capture_output=True, text=True).stdout
    ranges, civetweb = [], 0
    for line in out.splitlines():
        p = line.split()
        if len(p) < 4:
            continue
        in_civetweb = len(p) >= 5 and "/civetweb.c:" in p[4]
        if p[3].startswith("pool_web_") or in_civetweb:
            start, size = int(p[0], 16), int(p[1], 16)
            ranges.append((start, start + size))
            civetweb += in_civetweb
    if not civetweb:
        sys.exit("pool_fit: no civetweb.c functions in %s (no debug information? "
                 "a RelWithDebInfo build is needed)" % binary)
    return ranges


def lifetimes(path, binary, ranges):
    """[(size, born, died)] of wolfSSL's blocks in one trace; died = FOREVER if still held."""
    live, out, t = {}, [], 0
    name = binary.split("/")[-1]

    def ours(caller):
        mod, _, off = caller.rpartition("+0x")
        if not mod.endswith(name):
            return False
        off = int(off, 16)
        return not any(a <= off < b for a, b in ranges)

    for line in open(path, errors="replace"):
        p = line.split()
        if not p or p[0] not in ("M", "R", "F"):
            continue
        t += 1
        if p[0] == "F":
            if p[1] in live:
                size, born = live.pop(p[1])
                out.append((size, born, t))
        elif p[0] == "M" and len(p) >= 5:
            if ours(p[4]):
                live[p[3]] = (int(p[1]), t)
        elif p[0] == "R" and len(p) >= 5:
            if p[2] in live:
                size, born = live.pop(p[2])
                out.append((size, born, t))
            if p[3] not in ("(nil)", "0") and ours(p[4]):
                live[p[3]] = (int(p[1]), t)
    out += [(size, born, FOREVER) for size, born in live.values()]
    return out


def peak(blocks, lo, hi):
    """The most blocks with lo < size <= hi held at once."""
    ev = []
    for size, born, died in blocks:
        if lo < size <= hi:
            ev += [(born, 1), (died, -1)]
    ev.sort(key=lambda e: (e[0], e[1]))
    n = best = 0
    for _, d in ev:
        n += d
        best = max(best, n)
    return best


def fit(conns, base, sessions, max_sizes):
    sizes = sorted({(s + 15) // 16 * 16 for q in conns + [base] for s, _, _ in q if s < RECORD})
    n = len(sizes)
    cache = {}

    def cost(i, j):   # one block size sizes[j] for everything in (sizes[i], sizes[j]]
        if (i, j) not in cache:
            lo = sizes[i] if i >= 0 else 0
            per = max(peak(q, lo, sizes[j]) for q in conns)
            b = peak(base, lo, sizes[j])
            cache[(i, j)] = ((sessions * per + b) * (sizes[j] + OVERHEAD), per, b)
        return cache[(i, j)]

    inf = float("inf")
    dp = [[(inf, None)] * n for _ in range(max_sizes + 1)]
    for j in range(n):
        dp[1][j] = (cost(-1, j)[0], None)
    for k in range(2, max_sizes + 1):
        for j in range(n):
            dp[k][j] = min(((dp[k - 1][i][0] + cost(i, j)[0], i) for i in range(j)),
                           default=(inf, None))
    j = n - 1
    k = min(range(1, max_sizes + 1), key=lambda k: dp[k][j][0])
    layout = []
    while j is not None and k >= 1:
        i = dp[k][j][1]
        _, per, b = cost(-1 if i is None else i, j)
        layout.append((sizes[j], per, b))
        j, k = i, k - 1
    return layout[::-1] + [(RECORD, 1, 2)]


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    binary, sessions, max_sizes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ranges = excluded_ranges(binary)
    base = lifetimes(sys.argv[4], binary, ranges)
    idle = [s for s, _, d in lifetimes(sys.argv[5], binary, ranges) if d == FOREVER]
    conns = [q for q in (lifetimes(p, binary, ranges) for p in sys.argv[6:]) if q]
    if not conns:
        sys.exit("pool_fit: the connection traces hold no wolfSSL blocks")
    layout = fit(conns, base, sessions, max_sizes)
    session = sum(per * (s + OVERHEAD) for s, per, _ in layout)
    based = sum(b * (s + OVERHEAD) for s, _, b in layout)
    held = sum(next(s for s, _, _ in layout if z <= s) + OVERHEAD for z in idle if z <= RECORD)
    print("#define GH_TLS_BUCKETS(X) /* X(block bytes, blocks per session, base blocks) */ \\")
    print("    " + " ".join("X(%d, %d, %d)" % x for x in layout) + " \\")
    print("    X(GH_TRUST_MAX_BYTES + 16, 0, 1)")
    print("one session %d bytes, base %d bytes (+ the crl.pem block), %d sessions: %d bytes"
          % (session, based, sessions, sessions * session + based))
    print("one idle connection holds %d bytes of blocks (%d bytes asked for, %d blocks)"
          % (held, sum(idle), len(idle)))


if __name__ == "__main__":
    main()
