#!/usr/bin/python3
"""Peer of hepcat's optimizer_step workload: one torch.optim.Adam step over a flat parameter
tensor whose gradient is already set, as a PyTorch user's training loop does it."""
try:
    import torch
except ImportError:  # the runner reports the peer as skipped
    raise SystemExit(1)

from common import emit, median_seconds_per_step, parse_args, sizes, torch_backends


def main():
    args = parse_args(__doc__)
    for dev, name, sync, max_n in torch_backends(args):
        backend = dev.type
        for n in sizes(args.min, max_n):
            p = torch.zeros(n, device=dev, requires_grad=True)
            p.grad = torch.randn(n, device=dev)
            opt = torch.optim.Adam([p], lr=1e-3)
            # Reads p, g, m, v and writes p, m, v: 28 bytes per parameter, as hepcat counts.
            emit("optimizer_step", "torch", backend, name, n, "parameters",
                 median_seconds_per_step(opt.step, sync), 28.0)


if __name__ == "__main__":
    main()
