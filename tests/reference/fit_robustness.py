#!/usr/bin/python3
"""Convergence of hepcat's fits against iminuit with all six parameters of poly2+gauss free.

    /usr/bin/python3 tests/reference/fit_robustness.py BUILD/hepcat [--n 200] [--seed S]
        [--estimator neyman] [--starts 1]

Generates n Poisson histograms (40 bins in [90, 160], a Gaussian of 300 events at 125, width
1.7, on the background density 400 - 250 t + 90 t^2), fits each with iminuit (MIGRAD, errordef
1, strategy 1) and with `hepcat fit` from the same start (hepcat's default: flat background,
yield 5 % of the entries, mean at the centre, width 1/20 of the range), without bounds and with
mean in [115, 135], width in [0.5, 10], and prints how many converge and how often hepcat's
minimum exceeds iminuit's by more than 1e-6.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from iminuit import Minuit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_reference import EDGES, HI, LO, NAMES, expectation, objective  # noqa: E402

BOUNDS = {"mean": (115.0, 135.0), "width": (0.5, 10.0)}


def hepcat_fits(binary, hists, estimator, bounded, starts):
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
        with open(src, "w") as f:
            json.dump({"edges": EDGES.tolist(), "histograms": hists.tolist()}, f)
        cmd = [binary, "fit", "-i", src, "-o", out, "--estimator", estimator,
               "--starts", str(starts)]
        if bounded:
            cmd += ["--lower", "-1e300,-1e300,-1e300,-1e300,115,0.5",
                    "--upper", "1e300,1e300,1e300,1e300,135,10"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)["fits"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hepcat")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=424242)
    ap.add_argument("--estimator", default="neyman")
    ap.add_argument("--starts", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    truth = np.array([400.0, -250.0, 90.0, 300.0, 125.0, 1.7])
    hists = rng.poisson(expectation(truth), size=(a.n, len(EDGES) - 1)).astype(float)
    for bounded in (False, True):
        ours = hepcat_fits(a.hepcat, hists, a.estimator, bounded, a.starts)
        n_conv_m = n_conv_h = n_valid_h = worse = 0
        worst = 0.0
        for h, fit in zip(hists, ours):
            total = max(h.sum(), 1.0)
            start = [total / (HI - LO), 0, 0, 0.05 * h.sum(), 0.5 * (LO + HI), (HI - LO) / 20]
            m = Minuit(objective(a.estimator, h, h + 1), *start, name=NAMES)
            m.errordef = 1
            if bounded:
                for name, lim in BOUNDS.items():
                    m.limits[name] = lim
            m.migrad()
            n_conv_m += bool(m.valid)
            n_conv_h += fit["state"] == "converged"
            n_valid_h += bool(fit["valid"])
            o = fit["objective"] if fit["objective"] is not None else np.inf
            if o > m.fval + 1e-6:
                worse += 1
                worst = max(worst, o - m.fval)
        label = "bounded" if bounded else "unbounded"
        print(f"{label} {a.estimator} n={a.n} starts={a.starts}: iminuit valid {n_conv_m}, "
              f"hepcat converged {n_conv_h} valid {n_valid_h}; hepcat minimum > iminuit + 1e-6 in "
              f"{worse} (worst +{worst:.3g})")


if __name__ == "__main__":
    main()
