#!/usr/bin/python3
"""Plots hepcat results with matplotlib: `hepcat fit` output (one histogram with the fitted
model's bin expectations, the fitted parameters with their errors, and below it the pulls
(h - mu) / sqrt(variance) per bin; --fit N picks the fit, default 0) or `hepcat splitfit`
output (the pseudo-experiment significance distributions before and after training, medians
marked).
Usage: scripts/plot_fit.py RESULT.json OUT.png [--fit N]"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def pull_variance(estimator, h, mu):
    # The variance each estimator divides by: mu for Pearson and Poisson, max(h, 1) for Neyman
    # (and for the variance estimator, whose given variances the fit output does not hold).
    return max(mu, 1e-30) if estimator in ("pearson", "poisson") else max(h, 1.0)


def plot_fit(result, index, ax, ax_pull):
    edges = result["edges"]
    fit = result["fits"][index]
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
    h, mu = fit["histogram"], fit["expected"]
    ax.errorbar(centres, h, yerr=[max(v, 1) ** 0.5 for v in h], fmt="k.", label="histogram")
    ax.stairs(mu, edges, color="C0", label=f"{result['model']} ({fit['state']})")
    text = "\n".join(
        f"{name} = {fit['parameters'][name]:.4g} ± {fit['errors'][name]:.2g}"
        for name in result["parameter_names"] if fit["parameters"][name] is not None)
    ax.text(0.98, 0.97, text, transform=ax.transAxes, ha="right", va="top", fontsize=7)
    ax.set_ylabel("entries per bin")
    valid = " valid" if fit.get("valid") else ""
    ax.set_title(f"fit {index}: {result['estimator']} = {fit['objective']:.1f}, ndf {fit['ndf']}"
                 f"{valid}")
    ax.legend(loc="upper left")
    pulls = [(a - b) / pull_variance(result["estimator"], a, b) ** 0.5 for a, b in zip(h, mu)]
    ax_pull.bar(centres, pulls, width=[b - a for a, b in zip(edges[:-1], edges[1:])], color="C1")
    ax_pull.axhline(0, color="k", linewidth=0.5)
    ax_pull.set_xlabel("x")
    ax_pull.set_ylabel("pull")


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
    if "fits" in result:
        if not 0 <= args.fit < len(result["fits"]):
            p.error(f"--fit {args.fit}: the result holds {len(result['fits'])} fits")
        fig, (ax, ax_pull) = plt.subplots(2, 1, figsize=(6, 5.5), sharex=True,
                                          gridspec_kw={"height_ratios": [3, 1]})
        plot_fit(result, args.fit, ax, ax_pull)
    else:
        fig, ax = plt.subplots(figsize=(6, 4))
        plot_significance(result, ax)
    fig.tight_layout()
    fig.savefig(args.out)


if __name__ == "__main__":
    main()
