#!/usr/bin/python3
"""Signal against background on the jet toy with the ABC model, through the Python API.

Trains the ABC model unsupervised on toy signal (two resonances of mass M, each to three jets)
with the four-term loss and with the published two-term loss, then on held-out signal and on
the multijet background compares it with the mass-asymmetry baseline (leading six jets):
event purity by jet multiplicity, the m_avg distributions (mass sculpting of the background),
the AUC of the per-event loss as an anomaly score, and what the two-term model's soft jet choice
looks like (why that loss collapses). Prints a JSON summary; writes two PNGs.

Usage: PYTHONPATH=build/python scripts/assign_toy_study.py OUT_DIR [--events N] [--epochs N]
"""
import argparse
import json
import os
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import hepcat  # noqa: E402


def take(jets, sl):
    return {k: (v[sl] if isinstance(v, np.ndarray) else v) for k, v in jets.items()}


def event_correct(category, truth):
    """1/0 per fully matched event (all six truth jets present), -1 otherwise: both truth
    triplets each wholly in one of categories 0 and 1, different ones."""
    out = np.full(len(truth), -1, dtype=np.int8)
    for b in range(len(truth)):
        if (truth[b] < 0).any():
            continue
        c = [set(category[b, truth[b, p]].tolist()) for p in range(2)]
        ok = all(len(s) == 1 and s <= {0, 1} for s in c) and c[0] != c[1]
        out[b] = 1 if ok else 0
    return out


def auc(signal_score, background_score):
    """P(background score > signal score): the loss as an anomaly score (ties count half)."""
    s = np.sort(signal_score)
    below = np.searchsorted(s, background_score, side="left")
    ties = np.searchsorted(s, background_score, side="right") - below
    return float((below + 0.5 * ties).sum() / (len(s) * len(background_score)))


def quantiles(v):
    q = np.quantile(v, [0.25, 0.5, 0.75])
    return {"median": float(q[1]), "q25": float(q[0]), "q75": float(q[2])}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--events", type=int, default=12000, help="signal (and background) events")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--mass", type=float, default=500.0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cpu = hepcat.Context("cpu")
    m = a.mass
    sig = hepcat.assign_toy(events=a.events, seed=1, mass=m)
    bkg = hepcat.assign_toy(events=a.events // 4, seed=2, background=True)
    n_train = a.events * 3 // 4
    train, test = take(sig, slice(0, n_train)), take(sig, slice(n_train, None))
    n_jets_test = test["mask"].sum(axis=1)

    summary = {"mass": m, "train_events": n_train, "test_signal": len(test["pt"]),
               "test_background": len(bkg["pt"])}
    results = {}
    for loss in ("four-term", "published"):
        model = os.path.join(a.out, f"abc_{loss}.h5")
        r = hepcat.assign_train(train, model, loss=loss, epochs=a.epochs, batch_size=128,
                                seed=1, context=cpu)
        es, eb = hepcat.assign_eval(model, test), hepcat.assign_eval(model, bkg)
        correct = event_correct(es["category"], test["truth"])
        real = test["mask"]
        p_max = es["probability"].max(axis=2)[real]
        cats = [np.unique(es["category"][b][real[b]]) for b in range(len(real))]
        results[loss] = {"signal": es, "background": eb, "correct": correct}
        summary[loss] = {
            "best_epoch": r["best_epoch"],
            "best_validation_loss": r["best_validation_loss"],
            "initial_validation_loss": r["initial_validation_loss"],
            "event_purity": float((correct == 1).sum() / (correct >= 0).sum()),
            "signal_m_avg": quantiles(es["m_avg"]),
            "background_m_avg": quantiles(eb["m_avg"]),
            "background_in_window": float(np.mean(np.abs(eb["m_avg"] - m) < 0.1 * m)),
            "signal_in_window": float(np.mean(np.abs(es["m_avg"] - m) < 0.1 * m)),
            "anomaly_auc": auc(es["loss"], eb["loss"]),
            # The soft choice of training: how far from a coin toss each real jet's choice is.
            "jets_soft_prob_below_0.6": float(np.mean(p_max < 0.6)),
            "median_logit_gap": float(np.median(es["logit_gap"][real])),
            "events_one_category": float(np.mean([len(c) == 1 for c in cats])),
        }
    bs = hepcat.assign_baseline(test, context=cpu)
    bb = hepcat.assign_baseline(bkg, context=cpu)
    bcorrect = event_correct(bs["category"], test["truth"])
    summary["baseline_leading6"] = {
        "event_purity": float((bcorrect == 1).sum() / (bcorrect >= 0).sum()),
        "signal_m_avg": quantiles(bs["m_avg"]),
        "background_m_avg": quantiles(bb["m_avg"]),
        "background_in_window": float(np.mean(np.abs(bb["m_avg"] - m) < 0.1 * m)),
        "signal_in_window": float(np.mean(np.abs(bs["m_avg"] - m) < 0.1 * m)),
    }

    # Purity by jet multiplicity.
    mult = sorted(set(n_jets_test.tolist()))
    fig, ax = plt.subplots(figsize=(5, 3.6))
    by = {}
    for label, corr in (("ABC, four-term loss", results["four-term"]["correct"]),
                        ("ABC, published loss", results["published"]["correct"]),
                        ("baseline, leading six", bcorrect)):
        pur = []
        for k in mult:
            sel = (n_jets_test == k) & (corr >= 0)
            pur.append(float((corr[sel] == 1).mean()) if sel.any() else float("nan"))
        by[label] = dict(zip(map(int, mult), pur))
        ax.plot(mult, pur, "o-", label=label)
    summary["purity_by_jets"] = by
    ax.set_xlabel("jets in the event")
    ax.set_ylabel("event purity (fully matched)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "toy_abc_purity.png"), dpi=80)

    # m_avg of signal and background.
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    bins = np.linspace(0, 2 * m, 61)
    for ax, key, base in ((axes[0], "signal", bs), (axes[1], "background", bb)):
        ax.hist(base["m_avg"], bins, histtype="step", density=True, label="baseline, leading six")
        for loss in ("four-term", "published"):
            ax.hist(results[loss][key]["m_avg"], bins, histtype="step", density=True,
                    label=f"ABC, {loss} loss")
        ax.axvline(m, color="grey", lw=0.8)
        ax.set_title(f"toy {key}, M = {m:g} GeV")
        ax.set_xlabel("m_avg [GeV]")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "toy_abc_mavg.png"), dpi=80)
    json.dump(summary, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
