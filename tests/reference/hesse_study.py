#!/usr/bin/python3
"""How close iminuit's HESSE comes to the exact Hessian, and with which settings (docs/fits.md).

On generated histograms of fit_reference.py's model (every estimator, high and low statistics,
peak fixed and free, unbounded) from a seed not used elsewhere, each fit is run by MIGRAD + HESSE
with MINUIT's strategy 2 as it ships and with HESSE's tolerances tightened, and by hepcat
(Python API, built module on PYTHONPATH). All covariances are compared with 2 H^-1 from central
differences of the same objective at MINUIT's minimum (steps of 1e-3 of an error: good to about
1e-6), the metric being max_ij |V_ij - W_ij| / sqrt(W_ii W_jj), the one the C++ tests use.

    PYTHONPATH=build-cpu/python /usr/bin/python3 tests/reference/hesse_study.py --seed 20261130
"""
import argparse
import os
import sys

import numpy as np
from iminuit import Minuit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_reference import EDGES, ESTIMATORS, NAMES, SETUPS, STATS, expectation, fd_covariance, objective  # noqa: E402

import hepcat  # noqa: E402

VARIANTS = {
    # Minuit2's strategy 2: HESSE stops refining a diagonal second derivative once it changes by
    # less than 2 % (g2 tolerance 0.02) or its step by less than 10 %, after at most 7 cycles.
    "strategy 2": {},
    "strategy 2, HESSE tolerances 1e-3": {"hessian_g2_tolerance": 1e-3,
                                          "hessian_step_tolerance": 1e-3,
                                          "hessian_ncycles": 20,
                                          "hessian_gradient_ncycles": 10},
    "strategy 2, HESSE tolerances 1e-6": {"hessian_g2_tolerance": 1e-6,
                                          "hessian_step_tolerance": 1e-6,
                                          "hessian_ncycles": 50,
                                          "hessian_gradient_ncycles": 20},
}


def deviation(V, W, free, diagonal=False):
    V, W = np.asarray(V)[np.ix_(free, free)], np.asarray(W)[np.ix_(free, free)]
    s = np.sqrt(np.diag(W))
    d = np.abs(V - W) / np.outer(s, s)
    return float(np.max(np.diag(d) if diagonal else d))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--fits", type=int, default=3, help="fits per estimator, statistics and setup")
    ap.add_argument("--verbose", action="store_true", help="one line per fit")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    ctx = hepcat.Context("cpu")
    results = {name: [] for name in [*VARIANTS, "hepcat"]}
    versus_hepcat = {name: [] for name in VARIANTS}
    diagonal = {name: [] for name in VARIANTS}  # variances only: |V_ii / W_ii - 1|
    kinds = []  # quadratic objective (Neyman, variance with the peak fixed) or not
    for stats, (bkg, yield_) in STATS.items():
        truth = np.array([*bkg, yield_, 125.0, 1.7 if stats == "high" else 3.0])
        mu = expectation(truth)
        for setup in ("fixed_peak", "free"):
            fixed = SETUPS[setup]["fixed"]
            free = [i for i in range(6) if not fixed[i]]
            for estimator in ESTIMATORS:
                for _ in range(args.fits):
                    h = rng.poisson(mu).astype(float)
                    var = h + 1.0
                    start = truth * np.array([1.1, 0.9, 1.1, 0.8, 1.0, 1.0])
                    if setup == "free":
                        start[4], start[5] = 124.0, truth[5] * 1.2
                    fcn = objective(estimator, h, var)
                    covariances, minimum = {}, None
                    for name, settings in VARIANTS.items():
                        m = Minuit(fcn, *start, name=NAMES)
                        m.errordef = 1
                        m.strategy = 2
                        for key, value in settings.items():
                            setattr(m.strategy, key, value)
                        m.tol = 1e-6
                        for k, n in enumerate(NAMES):
                            m.fixed[n] = fixed[k]
                        m.migrad(ncall=100000)
                        m.hesse()
                        # Valid fits with an identified peak (width within the bounded setup's
                        # range; a peak tens wide leaves the Hessian nearly singular).
                        if not m.valid or not 0.5 <= m.values["width"] <= 10:
                            break
                        covariances[name] = np.array(m.covariance)
                        if minimum is None:
                            minimum = m
                    if len(covariances) != len(VARIANTS):
                        continue
                    W = fd_covariance(fcn, list(minimum.values), list(minimum.errors), fixed)
                    r = hepcat.fit(h, EDGES, model="poly2+gauss", estimator=estimator,
                                   initial=start, variances=var, tolerance=1e-10,
                                   fix=[NAMES[i] for i in range(6) if fixed[i]], context=ctx)
                    if abs(r.objective[0] - minimum.fval) > 1e-6:
                        continue  # another minimum: not comparable
                    for name, V in covariances.items():
                        results[name].append(deviation(V, W, free))
                        versus_hepcat[name].append(deviation(V, r.covariance[0], free))
                        diagonal[name].append(deviation(V, W, free, diagonal=True))
                    results["hepcat"].append(deviation(r.covariance[0], W, free))
                    kinds.append("quadratic" if setup == "fixed_peak" and estimator in
                                 ("neyman", "variance") else "other")
                    if args.verbose:
                        print(stats, setup, estimator, minimum.fmin.edm, minimum.values["width"],
                              [f"{results[n][-1]:.1e}" for n in results],
                              np.sqrt(np.diag(np.asarray(W)))[free].round(4),
                              np.sqrt(np.diag(r.covariance[0]))[free].round(4))
    kinds = np.array(kinds)
    print(f"seed {args.seed}: {len(kinds)} fits compared, {np.sum(kinds == 'quadratic')} with a "
          "quadratic objective (Neyman, variance; peak fixed)")
    print("max_ij |V - W| / sqrt(W_ii W_jj): median, 90 %, max; all fits | max quadratic | "
          "max other")

    def row(name, d):
        d = np.array(d)
        print(f"  {name:36s} {np.median(d):.1e} {np.quantile(d, 0.9):.1e} {np.max(d):.1e} | "
              f"{np.max(d[kinds == 'quadratic']):.1e} | {np.max(d[kinds == 'other']):.1e}")

    print("covariance vs central differences (W)")
    for name, d in results.items():
        row(name, d)
    print("HESSE vs hepcat (W = hepcat's covariance)")
    for name, d in versus_hepcat.items():
        row(name, d)
    print("HESSE's variances only, |V_ii / W_ii - 1| against central differences")
    for name, d in diagonal.items():
        row(name, d)


if __name__ == "__main__":
    main()
