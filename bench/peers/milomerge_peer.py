#!/usr/bin/python3
"""Peer baseline for `hepcat merge`: greedy nonlocal merging done the way the published MiLoMerge
package does it (SCIENCE.md section 2): a dense N x N float64 score matrix, a full argmin over it
every step, the matrix compacted after each merge and only the merged bin's scores recomputed.
O(N^3) time and 8 N^2 bytes. Scores are compiled with numba when /usr/bin/python3 has it
(Debian's python3-numba), else plain numpy rows.

Prints one JSON line per run:
{"workload": "merge_nonlocal", "impl": "peer-dense", "n": N, "n_hyp": H, "target": T, "seconds": s}
"""
import argparse
import json
import time

import numpy as np

try:
    import numba

    jit = numba.njit(cache=True)
except ImportError:  # plain numpy: the same algorithm, slower per score
    numba = None

    def jit(f):
        return f


@jit
def pair_score(counts, w, i, j, loc_length):
    n = counts.shape[0]
    if loc_length:
        tx = ty = txy = 0.0
        for h in range(n):
            for k in range(h + 1, n):
                w2 = w[h, k] * w[h, k]
                tx += w2 * (counts[h, i] ** 2 + counts[k, i] ** 2)
                ty += w2 * (counts[h, j] ** 2 + counts[k, j] ** 2)
                sh = counts[h, i] + counts[h, j]
                sk = counts[k, i] + counts[k, j]
                txy += w2 * (sh * sh + sk * sk)
        loss = np.sqrt(tx) + np.sqrt(ty) - np.sqrt(txy)
        return loss * loss / (n - 1)
    d = 0.0
    for h in range(n):
        for k in range(h + 1, n):
            c = counts[h, i] * counts[k, j] - counts[k, i] * counts[h, j]
            d += w[h, k] * c * c
    return d


@jit
def fill_column(counts, w, scores, m, col, loc_length):
    for i in range(m):
        scores[i, col] = np.inf if i == col else pair_score(counts, w, i, col, loc_length)


@jit
def compact(counts, scores, m, i, j):
    # Drop rows/columns i and j keeping the order of the others; the merged bin goes last. One
    # row-major pass: every destination precedes its source, so the copy can run in place.
    merged = counts[:, i] + counts[:, j]
    keep = np.empty(m - 2, dtype=np.int64)
    k = 0
    for c in range(m):
        if c != i and c != j:
            keep[k] = c
            k += 1
    for a in range(m - 2):
        counts[:, a] = counts[:, keep[a]]
        for b in range(m - 2):
            scores[a, b] = scores[keep[a], keep[b]]
        scores[a, m - 2] = np.inf
    counts[:, m - 2] = merged
    for b in range(m - 1):
        scores[m - 2, b] = np.inf
    return m - 2


def merge(counts, w, target, loc_length):
    counts = np.array(counts, dtype=np.float64)
    m = counts.shape[1]
    scores = np.full((m, m), np.inf)
    for col in range(m):
        fill_column(counts, w, scores, m, col, loc_length)
    while m > target:
        flat = int(np.argmin(scores[:m, :m]))
        i, j = divmod(flat, m)
        k = compact(counts, scores, m, i, j)
        m -= 1
        fill_column(counts, w, scores, m, k, loc_length)
    return counts[:, :m]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", required=True, help="histogram JSON (hepcat merge --input schema)")
    ap.add_argument("--target", type=int)
    a = ap.parse_args()
    with open(a.input) as f:
        doc = json.load(f)
    counts = np.array(doc["counts"], dtype=np.float64)
    w = np.array(doc.get("pair_weights", np.ones((len(counts), len(counts)))), dtype=np.float64)
    target = a.target or doc["target"]
    loc_length = doc.get("metric", "loc_length") == "loc_length"
    if numba is not None:  # compile outside the timed run
        merge(counts[:, :4], w, 3, loc_length)
    start = time.perf_counter()
    merge(counts, w, target, loc_length)
    seconds = time.perf_counter() - start
    print(json.dumps({"workload": "merge_nonlocal", "impl": "peer-dense" + ("-numba" if numba else ""),
                      "n": int(counts.shape[1]), "n_hyp": int(counts.shape[0]), "target": target,
                      "seconds": seconds}))


if __name__ == "__main__":
    main()
