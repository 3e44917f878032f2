#!/usr/bin/python3
"""Peer of hepcat's optimizer_step workload: one torch.optim.Adam step over a flat parameter
tensor whose gradient is already set, as a PyTorch user's training loop does it."""
import torch

from common import emit, median_seconds_per_step, parse_args, sizes


def main():
    args = parse_args(__doc__)
    backends = []
    if args.device in ("all", "cpu"):
        backends.append(("cpu", args.cpu_max))
    if args.device in ("all", "cuda") and torch.cuda.is_available():
        backends.append(("cuda", args.gpu_max))
    for backend, max_n in backends:
        dev = torch.device(backend)
        name = torch.cuda.get_device_name(dev) if backend == "cuda" else f"cpu (torch {torch.__version__})"
        sync = torch.cuda.synchronize if backend == "cuda" else (lambda: None)
        for n in sizes(args.min, max_n):
            p = torch.zeros(n, device=dev, requires_grad=True)
            p.grad = torch.randn(n, device=dev)
            opt = torch.optim.Adam([p], lr=1e-3)
            # Reads p, g, m, v and writes p, m, v: 28 bytes per parameter, as hepcat counts.
            emit("optimizer_step", "torch", backend, name, n, "parameters",
                 median_seconds_per_step(opt.step, sync), 28.0)


if __name__ == "__main__":
    main()
