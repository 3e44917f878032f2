#!/usr/bin/python3
"""Plots a `hepcat merge` result: LOC retained versus the number of bins (one point per
--target), and for a 2D input the merged binning as a map over the two axes.

    hepcat merge --input hist.json --target 150 --target 100 --target 50 --out merged.json
    scripts/plot_merge.py merged.json --out merged.png
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("result", help="output JSON of hepcat merge")
    ap.add_argument("--out", default="merge.png")
    a = ap.parse_args()
    with open(a.result) as f:
        doc = json.load(f)
    binnings = doc.get("binnings", [doc])
    edges = doc.get("input_edges", [])
    two_d = len(edges) == 2
    fig, axes = plt.subplots(1, 2 if two_d else 1, figsize=(11 if two_d else 5.5, 4.5),
                             squeeze=False)
    ax = axes[0][0]
    pts = sorted((b["n_bins"], b["loc"]["retained"], b["loc"]["separation_retained"])
                 for b in binnings)
    n, retained, separation = zip(*pts)
    ax.plot(n, retained, "o-", label="LOC after / before")
    ax.plot(n, separation, "s--", label="separation kept (LOC - sqrt n)")
    ax.set_xlabel("number of bins")
    ax.set_ylabel("fraction retained")
    ax.set_title(f"{doc['metric']}, {doc['merger']}: {doc['n_bins_before']} bins")
    ax.legend()
    if two_d:
        ax = axes[0][1]
        first = binnings[0]
        shape = (len(edges[0]) - 1, len(edges[1]) - 1)
        merged = np.zeros(shape[0] * shape[1], dtype=int)
        for g, group in enumerate(first["groups"]):
            merged[group] = g
        # Random colours per merged bin: neighbouring bin numbers mean nothing nonlocally.
        perm = np.random.default_rng(0).permutation(first["n_bins"])
        ax.pcolormesh(edges[0], edges[1], perm[merged].reshape(shape).T, cmap="tab20",
                      shading="flat")
        ax.set_xlabel("axis 0")
        ax.set_ylabel("axis 1")
        ax.set_title(f"merged map: {first['n_bins']} bins")
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)


if __name__ == "__main__":
    main()
