#!/usr/bin/python3
"""Peer of hepcat's mass-asymmetry baseline (assign_baseline_lead6, assign_baseline_all): for each
event, every split of its jets into two triplets, keeping the smallest |m1 - m2| / (m1 + m2),
written the way a NumPy user would: events grouped by jet multiplicity, the splits of k jets
enumerated once per k with itertools, the triplet four-vectors summed by fancy indexing over a
chunk of events, then argmin. Same event distributions as bench/workloads_assign.cpp."""
import itertools

import numpy as np

from common import emit, median_seconds_per_step, parse_args, sizes

N_SLOTS = 10
CHUNK = 4096


def splits(n):
    """All unordered pairs of disjoint triplets of range(n), as two (S, 3) index arrays."""
    a, b = [], []
    for t1 in itertools.combinations(range(n), 3):
        rest = [j for j in range(n) if j not in t1 and j > t1[0]]
        for t2 in itertools.combinations(rest, 3):
            a.append(t1)
            b.append(t2)
    return np.array(a), np.array(b)


def random_jets(n, all_real, rng):
    real = np.full(n, N_SLOTS) if all_real else 6 + np.minimum(4, rng.poisson(1.2, n))
    mask = np.arange(N_SLOTS)[None, :] < real[:, None]
    pt = 400 * np.cumprod(0.7 + 0.3 * rng.random((n, N_SLOTS), dtype=np.float32), axis=1)
    eta = 5 * rng.random((n, N_SLOTS), dtype=np.float32) - 2.5
    phi = 2 * np.pi * rng.random((n, N_SLOTS), dtype=np.float32) - np.pi
    m = 10 * rng.random((n, N_SLOTS), dtype=np.float32)
    e = np.sqrt((pt * np.cosh(eta)) ** 2 + m ** 2)
    return [np.where(mask, v, 0).astype(np.float32) for v in (pt, eta, phi, e)] + [mask]


def baseline(jets, leading):
    """Per event: the two triplets' jet indices and masses of the smallest-asymmetry split."""
    pt, eta, phi, e, mask = jets
    n_jets = np.minimum(mask.sum(axis=1), leading)
    out_a = np.full((len(pt), 3), -1)
    out_b = np.full((len(pt), 3), -1)
    masses = np.zeros((len(pt), 2))
    for k in range(6, leading + 1):
        events = np.flatnonzero(n_jets == k)
        if len(events) == 0:
            continue
        a, b = splits(k)
        for lo in range(0, len(events), CHUNK):
            ev = events[lo:lo + CHUNK]
            p4 = np.stack([e[ev, :k], pt[ev, :k] * np.cos(phi[ev, :k]),
                           pt[ev, :k] * np.sin(phi[ev, :k]), pt[ev, :k] * np.sinh(eta[ev, :k])],
                          axis=-1).astype(np.float64)
            pa = p4[:, a].sum(axis=2)  # (events, splits, 4)
            pb = p4[:, b].sum(axis=2)
            ma = np.sqrt(np.maximum(pa[..., 0] ** 2 - (pa[..., 1:] ** 2).sum(-1), 0))
            mb = np.sqrt(np.maximum(pb[..., 0] ** 2 - (pb[..., 1:] ** 2).sum(-1), 0))
            best = (np.abs(ma - mb) / (ma + mb)).argmin(axis=1)
            rows = np.arange(len(ev))
            out_a[ev] = a[best]
            out_b[ev] = b[best]
            masses[ev, 0] = ma[rows, best]
            masses[ev, 1] = mb[rows, best]
    return out_a, out_b, masses


def main():
    args = parse_args(__doc__)
    if args.device not in ("all", "cpu"):
        return
    rng = np.random.default_rng(3)
    for name, all_real, leading in (("assign_baseline_lead6", True, 6),
                                    ("assign_baseline_all", False, N_SLOTS)):
        for n in sizes(args.min, args.cpu_max):
            jets = random_jets(n, all_real, rng)
            emit(name, "numpy", "cpu", "cpu (numpy)", n, "events",
                 median_seconds_per_step(lambda: baseline(jets, leading)), N_SLOTS * 17.0)


if __name__ == "__main__":
    main()
