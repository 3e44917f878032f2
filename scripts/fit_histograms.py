#!/usr/bin/python3
"""Poisson histograms of the seed's signal plus background in the schema `hepcat fit --input`
reads: {"edges": [...], "histograms": [[...], ...]}.

The expectation per bin is a falling line plus a Gaussian peak at 125 of width 1.7 on 40 bins
over [90, 160] (the Split-N-Fit toy's mass range); seeded, so every run writes the same file.
"""
import argparse
import json

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fits", type=int, default=100, help="number of histograms")
    ap.add_argument("--signal", type=float, default=60.0, help="peak height in events per bin")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    edges = np.linspace(90.0, 160.0, 41)
    centre = 0.5 * (edges[1:] + edges[:-1])
    expected = 400 - 2.0 * (centre - 90) + a.signal * np.exp(-0.5 * ((centre - 125) / 1.7) ** 2)
    histograms = np.random.default_rng(a.seed).poisson(expected, size=(a.fits, edges.size - 1))
    with open(a.out, "w") as f:
        json.dump({"edges": edges.tolist(), "histograms": histograms.tolist()}, f)


if __name__ == "__main__":
    main()
