#!/usr/bin/python3
"""Random fine histograms for the merge benchmark, in the schema `hepcat merge --input` reads.

Each hypothesis is uniform random counts normalised to sum |h| = 1, as in the MiLoMerge
fixtures; seeded, so every run of the benchmark merges the same inputs.
"""
import argparse
import json

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bins", type=int, required=True)
    ap.add_argument("--hyp", type=int, default=2)
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--metric", default="loc_length", choices=["loc_length", "determinant"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    counts = rng.random((a.hyp, a.bins))
    counts /= np.abs(counts).sum(axis=1, keepdims=True)
    doc = {"counts": counts.tolist(), "pair_weights": np.ones((a.hyp, a.hyp)).tolist(),
           "metric": a.metric, "target": a.target}
    with open(a.out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
