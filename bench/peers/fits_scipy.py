#!/usr/bin/python3
"""Peer of hepcat's batched fits: the seed's S+B fit (a Gaussian with fixed mass 125 and width
1.7 on a 2nd-order polynomial, 40 bins in [90, 160], 4 free parameters, Neyman chi2 with
variance max(h, 1), Simpson bin integrals) done one histogram at a time with
scipy.optimize.least_squares (MINPACK Levenberg-Marquardt), as a user of scipy would."""
import numpy as np
from scipy.optimize import least_squares

from common import emit, median_seconds_per_step, parse_args, sizes

N_BINS, LO, HI = 40, 90.0, 160.0
TRUTH = np.array([400.0, -250.0, 90.0, 300.0])
MEAN, WIDTH = 125.0, 1.7
EDGES = np.linspace(LO, HI, N_BINS + 1)
MIDS = 0.5 * (EDGES[:-1] + EDGES[1:])
POINTS = np.concatenate([EDGES, MIDS])  # densities at edges and midpoints for Simpson's rule
T = (POINTS - LO) / (HI - LO)
PEAK = np.exp(-0.5 * ((POINTS - MEAN) / WIDTH) ** 2) / (np.sqrt(2 * np.pi) * WIDTH)
BIN_WIDTH = EDGES[1] - EDGES[0]


def expectation(p):
    f = p[0] + p[1] * T + p[2] * T * T + p[3] * PEAK
    fe, fm = f[: N_BINS + 1], f[N_BINS + 1:]
    return BIN_WIDTH / 6 * (fe[:-1] + 4 * fm + fe[1:])


def make_histograms(n, rng):
    return rng.poisson(expectation(TRUTH), size=(n, N_BINS)).astype(np.float64)


def fit_all(hists):
    out = np.empty((len(hists), 4))
    for i, h in enumerate(hists):
        inv_sigma = 1 / np.sqrt(np.maximum(h, 1))
        start = np.array([max(h.sum(), 1) / (HI - LO), 0, 0, 0])
        r = least_squares(lambda p: (h - expectation(p)) * inv_sigma, start, method="lm")
        out[i] = r.x
    return out


def main():
    args = parse_args(__doc__)
    if args.device not in ("all", "cpu"):
        return
    rng = np.random.default_rng(1)
    # One by one the rate does not depend on n; a few thousand fits keep the run short.
    ns = [n for n in sizes(args.min, args.cpu_max) if n <= 3000] or [1000]
    for n in ns:
        hists = make_histograms(n, rng)
        seconds = median_seconds_per_step(lambda: fit_all(hists), batches=3, min_batch_seconds=0)
        emit("batched_fits", "scipy", "cpu", "cpu (scipy least_squares)", n, "fits", seconds,
             8.0 * N_BINS)


if __name__ == "__main__":
    main()
