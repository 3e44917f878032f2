#!/usr/bin/python3
"""Draws a `hepcat bin` result: the learned categories over the 2D score plane (GMM on two
features) or the 1D categories over stacked histograms of the feature, and the loss curve.

Usage: /usr/bin/python3 scripts/plot_bin.py result.json [--events file.csv] [--out plot.png]
The events default to the result's "input" (CSV; HDF5 needs h5py). Hard categories are
recomputed here from the reported parameters (argmax of log pi_k + log N(x | mu_k, Sigma_k), or
the sigmoid boundaries), independently of hepcat.
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_events(path, columns):
    if path.endswith(".csv"):
        data = np.genfromtxt(path, delimiter=",", names=True)
        return {c: np.asarray(data[c], dtype=float) for c in columns}
    import h5py  # only needed for HDF5 inputs

    file, _, group = path.partition(":")
    with h5py.File(file, "r") as f:
        g = f[group] if group else f
        return {c: np.asarray(g[c][...], dtype=float) for c in columns}


def gmm_scores(points, components):
    scores = []
    for c in components:
        mu = np.asarray(c["mean"])
        d = len(mu)
        cov = np.asarray(c["covariance"]).reshape(d, d)
        r = points - mu
        sol = np.linalg.solve(cov, r.T).T
        q = np.einsum("ij,ij->i", r, sol)
        _, logdet = np.linalg.slogdet(cov)
        scores.append(np.log(c["weight"]) - 0.5 * (q + logdet + d * np.log(2 * np.pi)))
    return np.stack(scores, axis=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("result")
    ap.add_argument("--events", help="events file (default: the result's input)")
    ap.add_argument("--out", default="bin.png")
    ap.add_argument("--max-points", type=int, default=20000)
    args = ap.parse_args()
    res = json.load(open(args.result))
    feats = res["features"]
    events_path = args.events or res.get("input")
    fig, (ax, axl) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [3, 2]})
    params = res["parameters"]
    n_bins = res["bins"]
    cmap = plt.get_cmap("tab20" if n_bins > 10 else "tab10")

    if len(feats) == 2 and res["model"] == "gmm":
        lo = [0.0, 0.0]
        hi = [1.0, 1.0]
        xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
        pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
        cat = np.argmax(gmm_scores(pts, params["components"]), axis=1).reshape(xx.shape)
        if params.get("means") == "simplex":
            cat = np.ma.masked_where(xx + yy > 1, cat)
        ax.pcolormesh(xx, yy, cat, cmap=cmap, vmin=-0.5, vmax=cmap.N - 0.5, shading="auto",
                      alpha=0.6)
        if events_path:
            ev = read_events(events_path, feats + [res["process"]])
            proc = ev[res["process"]]
            idx = np.arange(len(proc))[:: max(1, len(proc) // args.max_points)]
            for p, colour in zip(res["signals"], ["red", "blue", "green"]):
                m = idx[proc[idx] == p]
                ax.scatter(ev[feats[0]][m], ev[feats[1]][m], s=2, c=colour, label=f"process {p}")
            m = idx[~np.isin(proc[idx], res["signals"])]
            ax.scatter(ev[feats[0]][m], ev[feats[1]][m], s=1, c="grey", alpha=0.3,
                       label="background")
            ax.legend(markerscale=4, fontsize=8)
        for k, c in enumerate(params["components"]):
            ax.annotate(str(k), c["mean"], ha="center", va="center", fontsize=9, weight="bold")
        ax.set_xlabel(feats[0])
        ax.set_ylabel(feats[1])
        ax.set_title(f"{n_bins} GMM categories (argmax of log pi N)")
    elif len(feats) == 1:
        if not events_path:
            raise SystemExit("a 1D plot needs the events (--events)")
        ev = read_events(events_path, feats + [res["process"], res["weight"]])
        x, proc, w = ev[feats[0]], ev[res["process"]], ev[res["weight"]]
        bins = np.linspace(x.min(), x.max(), 60)
        groups = [("background", ~np.isin(proc, res["signals"]), "grey")]
        groups += [(f"process {p} (x1000)", proc == p, c)
                   for p, c in zip(res["signals"], ["red", "blue"])]
        for name, m, colour in groups:
            scale = 1000.0 if name.startswith("process") else 1.0
            ax.hist(x[m], bins=bins, weights=w[m] * scale, histtype="step", color=colour,
                    label=name)
        ax.set_yscale("log")
        if res["model"] == "gmm":
            cat = np.argmax(gmm_scores(bins[:, None], params["components"]), axis=1)
            edges = bins[1:][np.diff(cat) != 0]
        else:
            edges = params["boundaries"][0]
        for e in edges:
            ax.axvline(e, color="black", ls="--", lw=1)
        ax.set_xlabel(feats[0])
        ax.set_title(f"{n_bins} categories over the weighted histograms")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "categories are drawn for one or two features", ha="center")

    hist = res["history"]
    ep = [h["epoch"] for h in hist]
    axl.plot(ep, [h["loss"] for h in hist], label="loss")
    axl.plot(ep, [-h["z"] for h in hist], label="-Z (soft)")
    axl.set_xlabel("epoch")
    axl.set_title(f"test Z {res['test']['significance']['combined']:.3f}, "
                  f"{res['baseline']['name']} {res['baseline']['test']['significance']['combined']:.3f}")
    axl.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
