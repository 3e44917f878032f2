#!/usr/bin/env python3
"""What calling hepcat through Python costs over calling the C++ engine directly.

Two workloads, each timed both ways in the same run, interleaved so that load on the machine
hits both alike:
  gato_step     one GATO training step (GMM, K = 16, d = 3, both passes and the optimiser
                step) over --events events: Python's Trainer.step() against a C++ loop of
                BinningTrainer::step() on the same trainer object (Trainer._time_steps);
  batched_fits  --fits S+B fits (poly2+gauss, 40 bins, the peak's position and width fixed as
                in Split-N-Fit): hepcat.fit() from NumPy arrays against fit_histograms() on
                the same histograms and starting values already in C++ (_time_fit).
Prints one JSON line per workload: medians in seconds, the Python overhead in percent from
the medians and from the median of the paired differences (the steadier one on a loaded
machine).

  PYTHONPATH=build/python python3 bench/python_overhead.py --device cpu
"""

import argparse
import json
import time

import numpy as np

import hepcat


def gato_step(ctx, n_events, repeats):
    rng = np.random.default_rng(1)
    columns = {
        "x": rng.normal(size=n_events).astype(np.float32),
        "y": rng.normal(size=n_events).astype(np.float32),
        "z": rng.normal(size=n_events).astype(np.float32),
        "weight": rng.uniform(0.5, 1.5, size=n_events).astype(np.float32),
        "process": rng.integers(0, 7, size=n_events).astype(np.int32),
    }
    events = hepcat.Events(columns, features=["x", "y", "z"], weight="weight",
                           process="process", context=ctx)
    trainer = hepcat.Trainer(events, signals=[0], bins=16, means="box", lo=[-3] * 3,
                             hi=[3] * 3, sigma_base=0.5 / 6, epochs=4 * repeats + 4,
                             lr="0.01", temperature="0.5")
    trainer.step()  # warm-up: first-touch of scratch memory
    trainer._trainer._time_steps(1)
    python, cxx = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        trainer.step()
        python.append(time.perf_counter() - t0)
        cxx.extend(trainer._trainer._time_steps(1))
    return python, cxx


def batched_fits(ctx, n_fits, repeats):
    rng = np.random.default_rng(2)
    edges = np.linspace(90.0, 160.0, 41)
    centre = 0.5 * (edges[1:] + edges[:-1])
    mean = 400 - 2.0 * (centre - 90) + 60 * np.exp(-0.5 * ((centre - 125) / 1.7) ** 2)
    histograms = rng.poisson(mean, size=(n_fits, 40)).astype(np.float64)
    # Per fit: a flat background at the histogram's mean density, 5 % signal, peak at 125, 1.7.
    total = histograms.sum(axis=1)
    initial = np.zeros((n_fits, 6))
    initial[:, 0] = total / 70.0
    initial[:, 3] = 0.05 * total
    initial[:, 4:] = [125.0, 1.7]
    fix = ["mean", "width"]
    kwargs = dict(model="poly2+gauss", initial=initial, fix=fix, context=ctx)
    hepcat.fit(histograms, edges, **kwargs)  # warm-up
    python, cxx = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        hepcat.fit(histograms, edges, **kwargs)
        python.append(time.perf_counter() - t0)
        cxx.extend(hepcat._hepcat._time_fit(histograms, list(edges), "poly2+gauss", initial,
                                            fix, 1, ctx))
    return python, cxx


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="auto")
    p.add_argument("--events", type=float, default=1e6)
    p.add_argument("--fits", type=float, default=1e4)
    p.add_argument("--repeats", type=int, default=15)
    a = p.parse_args()
    ctx = hepcat.Context(a.device)
    for name, size, run in (("gato_step", int(a.events), gato_step),
                            ("batched_fits", int(a.fits), batched_fits)):
        python, cxx = run(ctx, size, a.repeats)
        py_s, cxx_s = float(np.median(python)), float(np.median(cxx))
        # Each Python call is timed next to one C++ call: the median of the pairwise
        # differences is the cost of the Python layer, least disturbed by other load.
        extra = float(np.median(np.subtract(python, cxx)))
        print(json.dumps({
            "workload": name, "size": size, "device": ctx.device_name, "repeats": a.repeats,
            "python_s": py_s, "cxx_s": cxx_s, "overhead_percent": 100 * (py_s / cxx_s - 1),
            "paired_extra_s": extra, "paired_overhead_percent": 100 * extra / cxx_s,
        }), flush=True)


if __name__ == "__main__":
    main()
