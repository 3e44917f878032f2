#!/usr/bin/python3
"""Peer of hepcat's cut_scan_epoch on PyTorch (CPU and CUDA): one full-batch SGD epoch of the
CABIN scan (the loss of cabin_torch.py) over the events of hepcat-bench's workload: 10 features,
N(0, 1) plus +-0.5 for signal (every second event), 13 target efficiencies."""
import torch

from cabin_torch import CutNetwork, scan_loss
from common import emit, median_seconds_per_step, parse_args, sizes, torch_backends

TARGETS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.93, 0.95]
FEATURES = 10


def main():
    args = parse_args(__doc__)
    for dev, name, sync, max_n in torch_backends(args):
        for n in sizes(args.min, max_n):
            g = torch.Generator().manual_seed(2)
            y = (torch.arange(n) % 2).float()
            shift = torch.tensor([0.5 if k % 2 else -0.5 for k in range(FEATURES)])
            x = torch.randn(n, FEATURES, generator=g) + y[:, None] * shift
            x = ((x - x.mean(0)) / x.std(0)).to(dev)
            y = y.to(dev)
            directions = torch.where(x[y == 1].mean(0) > x[y == 0].mean(0), 1.0, -1.0)
            nets = torch.nn.ModuleList([CutNetwork(directions.clone()) for _ in TARGETS]).to(dev)
            opt = torch.optim.SGD(nets.parameters(), lr=0.5)

            def step():
                opt.zero_grad()
                scan_loss(nets, x, y, TARGETS).backward()
                opt.step()

            # Reads every feature, the weight and the label once per epoch, as hepcat counts.
            emit("cut_scan_epoch", "torch", dev.type, name, n, "events",
                 median_seconds_per_step(step, sync), FEATURES * 4.0 + 4.0 + 1.0)


if __name__ == "__main__":
    main()
