#!/usr/bin/python3
"""Plots the output of `hepcat assign baseline` (and any per-event file with the same datasets:
m_avg, n_jets, truth/event_correct, truth/m_avg).

Usage:
  scripts/plot_assign.py mavg OUT.png LABEL=FILE.h5 [LABEL=FILE.h5 ...]
      m_avg distributions of each file, with the truth-triplet m_avg of the first file that has
      truth; prints median and IQR of each.
  scripts/plot_assign.py purity OUT.png LABEL=FILE.h5 [LABEL=FILE.h5 ...]
      event purity by jet multiplicity over fully matched events (truth/event_correct).
  scripts/plot_assign.py sculpt OUT.png JETS.h5 BASELINE.h5 [SIGNAL_BASELINE.h5]
      background sculpting: the baseline's m_avg on background JETS.h5 against the m_avg of a
      random split of the same events' leading six jets (computed here with NumPy), optionally
      with the signal's baseline m_avg; prints the quantiles of each.
"""
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def labelled(args):
    out = []
    for a in args:
        label, _, path = a.partition("=")
        out.append((label, path) if path else (a, a))
    return out


def describe(name, v):
    v = v[np.isfinite(v) & (v > 0)]
    q = np.percentile(v, [16, 25, 50, 75, 84])
    print(f"{name}: n={len(v)} median={q[2]:.1f} IQR={q[1]:.1f}-{q[3]:.1f} "
          f"16-84%={q[0]:.1f}-{q[4]:.1f} GeV")
    return v


def plot_mavg(out, files):
    fig, ax = plt.subplots(figsize=(6, 4))
    truth = None
    top = 0
    for label, path in files:
        with h5py.File(path) as f:
            v = describe(label, f["m_avg"][:])
            if truth is None and "truth/m_avg" in f:
                truth = describe("truth triplets", f["truth/m_avg"][:])
        top = max(top, np.percentile(v, 95))
        ax.hist(v, bins=80, range=(0, 1.5 * top), histtype="step", density=True, label=label)
    if truth is not None:
        ax.hist(truth, bins=80, range=(0, 1.5 * top), histtype="stepfilled", alpha=0.3,
                density=True, label="truth triplets")
    ax.set_xlabel("m_avg [GeV]")
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def plot_purity(out, files):
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, path in files:
        with h5py.File(path) as f:
            n = f["n_jets"][:]
            ok = f["truth/event_correct"][:]
        xs, ys, es = [], [], []
        for k in np.unique(n):
            sel = (n == k) & (ok >= 0)
            if sel.sum() < 5:
                continue
            p = (ok[sel] == 1).mean()
            xs.append(k)
            ys.append(p)
            es.append(np.sqrt(p * (1 - p) / sel.sum()))
            print(f"{label}: {k} jets: {sel.sum()} fully matched events, purity {p:.3f}")
        ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=label)
    ax.set_xlabel("jets in the event")
    ax.set_ylabel("event purity (fully matched events)")
    ax.set_ylim(0, 1)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def random_split_mavg(jets_path, seed=1):
    """m_avg of a uniformly random split of each event's leading six jets into two triplets."""
    with h5py.File(jets_path) as f:
        s = f["INPUTS/Source"]
        pt, eta, phi, m = (s[k][:, :6].astype(float) for k in ("pt", "eta", "phi", "mass"))
    e = np.sqrt((pt * np.cosh(eta)) ** 2 + m ** 2)
    p4 = np.stack([e, pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], axis=-1)
    rng = np.random.default_rng(seed)
    perm = np.argsort(rng.random((len(pt), 6)), axis=1)
    rows = np.arange(len(pt))[:, None]
    a = p4[rows, perm[:, :3]].sum(axis=1)
    b = p4[rows, perm[:, 3:]].sum(axis=1)

    def mass(v):
        return np.sqrt(np.maximum(v[:, 0] ** 2 - (v[:, 1:] ** 2).sum(axis=1), 0))

    return 0.5 * (mass(a) + mass(b))


def plot_sculpt(out, jets, baseline, signal=None):
    with h5py.File(baseline) as f:
        chosen = describe("background, baseline split", f["m_avg"][:])
    rand = describe("background, random split", random_split_mavg(jets))
    sig = None
    if signal:
        with h5py.File(signal) as f:
            sig = describe("signal, baseline split", f["m_avg"][:])
    top = np.percentile(np.concatenate([chosen, rand] + ([sig] if sig is not None else [])), 99)
    fig, ax = plt.subplots(figsize=(6, 4))
    kw = dict(bins=80, range=(0, top), histtype="step", density=True)
    ax.hist(rand, label="background, random split", **kw)
    ax.hist(chosen, label="background, mass-asymmetry split", **kw)
    if sig is not None:
        ax.hist(sig, label="signal, mass-asymmetry split", **kw)
    ax.set_xlabel("m_avg [GeV]")
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("mavg", "purity", "sculpt"):
        sys.exit(__doc__)
    kind, out, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if kind == "mavg":
        plot_mavg(out, labelled(rest))
    elif kind == "purity":
        plot_purity(out, labelled(rest))
    else:
        plot_sculpt(out, *rest[:3])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
