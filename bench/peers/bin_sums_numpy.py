#!/usr/bin/python3
"""Peer of hepcat's weighted_bin_sums: a per-process weighted histogram (sum w, sum w^2) of one
feature in 16 equal bins, written the way a NumPy user would (digitise, then bincount)."""
import numpy as np

from common import emit, median_seconds_per_step, parse_args, sizes

N_PROC, N_BINS = 7, 16


def main():
    args = parse_args(__doc__)
    if args.device not in ("all", "cpu"):
        return
    rng = np.random.default_rng(1)
    for n in sizes(args.min, args.cpu_max):
        x = rng.random(n, dtype=np.float32)
        w = rng.random(n, dtype=np.float32)
        p = (np.arange(n) % N_PROC).astype(np.int32)

        def step():
            b = np.clip((x * N_BINS).astype(np.int64), 0, N_BINS - 1)
            cell = p * N_BINS + b
            sw = np.bincount(cell, weights=w, minlength=N_PROC * N_BINS)
            sw2 = np.bincount(cell, weights=w.astype(np.float64) ** 2, minlength=N_PROC * N_BINS)
            return sw, sw2

        emit("weighted_bin_sums", "numpy", "cpu", "cpu (numpy)", n, "events",
             median_seconds_per_step(step), 12.0)


if __name__ == "__main__":
    main()
