#!/usr/bin/python3
"""Plots the output of `hepcat cuts`: the cut on each feature versus the target signal efficiency
(solid: x > cut, dashed: x < cut; one line per grid cell for cut grids), and the hard-cut ROC
points on the training and test samples.

Usage: scripts/plot_cuts.py cuts.json [out.png]   (default: cuts.png beside the JSON)
"""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.splitext(path)[0] + ".png"
    with open(path) as f:
        d = json.load(f)
    features = d["features"]
    results = d["results"]
    cells = sorted({r.get("cell", 0) for r in results})
    panels = len(features) + 1
    cols = min(4, panels)
    rows = math.ceil(panels / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    axes = axes.ravel()
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, name in enumerate(features):
        ax = axes[k]
        for ci, cell in enumerate(cells):
            rs = sorted((r for r in results if r.get("cell", 0) == cell), key=lambda r: r["target"])
            t = [r["target"] for r in rs]
            c = [r["cuts"][k] for r in rs]
            style = "-" if rs[0]["directions"][k] > 0 else "--"
            label = None
            if "grid_range" in rs[0]:
                lo, hi = rs[0]["grid_range"]
                label = "%s in [%g, %g)" % (d.get("grid_variable", "grid"), lo, hi)
            ax.plot(t, c, style, marker="o", ms=3, color=colours[ci % len(colours)], label=label)
        ax.set_title(name)
        ax.set_xlabel("target signal efficiency")
        ax.set_ylabel("cut")
        if len(cells) > 1 and k == 0:
            ax.legend(fontsize=7)
    ax = axes[len(features)]
    per_target = d.get("per_target") or [
        {"target": r["target"], "train": r["train"], **({"test": r["test"]} if "test" in r else {})}
        for r in results]
    for sample, marker in (("train", "o"), ("test", "s")):
        pts = sorted((p[sample]["bkg_eff"], p[sample]["sig_eff"]) for p in per_target if sample in p)
        if not pts:
            continue
        auc = d["auc_train"] if sample == "train" else d["auc"]
        ax.plot([0] + [p[0] for p in pts] + [1], [0] + [p[1] for p in pts] + [1], marker=marker,
                ms=3, label="%s (AUC %.4f)" % (sample, auc))
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_xlabel("background efficiency")
    ax.set_ylabel("signal efficiency")
    ax.set_title("hard-cut ROC points")
    ax.legend(fontsize=8)
    for ax in axes[panels:]:
        ax.axis("off")
    fig.suptitle("hepcat cuts: %s (%s, %.2f s)" % (os.path.basename(d["input"]), d["device"],
                                                   d["seconds"]))
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print("wrote", out)


if __name__ == "__main__":
    main()
