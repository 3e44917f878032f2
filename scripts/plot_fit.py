#!/usr/bin/python3
"""Plots hepcat results with matplotlib: `hepcat fit` output (each histogram with the fitted
model's bin expectations; --fit N picks one, default 0) or `hepcat splitfit` output (the
pseudo-experiment significance distributions before and after training, medians marked).
Usage: scripts/plot_fit.py RESULT.json OUT.png [--fit N]"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_fit(result, index, ax):
    edges = result["edges"]
    fit = result["fits"][index]
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
    ax.errorbar(centres, fit["histogram"], yerr=[max(h, 1) ** 0.5 for h in fit["histogram"]],
                fmt="k.", label="histogram")
    ax.stairs(fit["expected"], edges, color="C0", label=f"{result['model']} ({fit['state']})")
    ax.set_xlabel("x")
    ax.set_ylabel("entries per bin")
    ax.set_title(f"fit {index}: {result['estimator']} = {fit['objective']:.1f}, ndf {fit['ndf']}")
    ax.legend()


def plot_significance(result, ax):
    for key, label in (("significance_before", "before"), ("significance", "after")):
        if key not in result:
            continue
        s = result[key]
        line = ax.hist(s["toys"], bins=40, histtype="step", label=f"{label}: median {s['median']:.2f}")
        ax.axvline(s["median"], color=line[2][0].get_edgecolor(), linestyle="--")
    ax.set_xlabel("significance Z per pseudo-experiment")
    ax.set_ylabel("pseudo-experiments")
    ax.legend()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("result")
    p.add_argument("out")
    p.add_argument("--fit", type=int, default=0)
    args = p.parse_args()
    with open(args.result) as f:
        result = json.load(f)
    fig, ax = plt.subplots(figsize=(6, 4))
    if "fits" in result:
        plot_fit(result, args.fit, ax)
    else:
        plot_significance(result, ax)
    fig.tight_layout()
    fig.savefig(args.out)


if __name__ == "__main__":
    main()
