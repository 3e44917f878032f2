#!/usr/bin/python3
"""Peer of hepcat's weighted_bin_sums on PyTorch (CPU and CUDA): a per-process weighted histogram
(sum w, sum w^2) of one feature in 16 equal bins, as a PyTorch user would write it (bucket
index, then bincount with weights)."""
import torch

from common import emit, median_seconds_per_step, parse_args, sizes, torch_backends

N_PROC, N_BINS = 7, 16


def main():
    args = parse_args(__doc__)
    for dev, name, sync, max_n in torch_backends(args):
        for n in sizes(args.min, max_n):
            g = torch.Generator().manual_seed(1)
            x = torch.rand(n, generator=g).to(dev)
            w = torch.rand(n, generator=g).to(dev)
            p = (torch.arange(n) % N_PROC).to(dev)

            def step():
                b = torch.clamp((x * N_BINS).long(), 0, N_BINS - 1)
                cell = p * N_BINS + b
                sw = torch.bincount(cell, weights=w, minlength=N_PROC * N_BINS)
                sw2 = torch.bincount(cell, weights=w * w, minlength=N_PROC * N_BINS)
                return sw, sw2

            # Reads x, w and the process id once: 12 bytes per event, as hepcat counts.
            emit("weighted_bin_sums", "torch", dev.type, name, n, "events",
                 median_seconds_per_step(step, sync), 12.0)


if __name__ == "__main__":
    main()
