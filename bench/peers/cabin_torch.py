#!/usr/bin/python3
"""Peer of `hepcat cuts`: the CABIN efficiency scan (SCIENCE.md section 3) trained the way a
PyTorch user would write it: one module per target efficiency holding its biases, scores as the
product of sigmoids, the efficiency, background, cut-size, BCE and smoothness losses summed, one
full-batch SGD step per epoch (lr 0.5) on the fixture's 32k training events for 1000 epochs on the
CPU. Prints one JSON line with the training time."""
import argparse
import json
import os
import time

try:
    import numpy as np
    import torch
except ImportError:  # the runner reports the peer as skipped
    raise SystemExit(1)

TARGETS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.93, 0.95]
ALPHA, BETA, GAMMA, DELTA, EPSILON, RHO, STEEPNESS = 10.0, 0.1, 1e-5, 1e-3, 1.0, 0.1, 15.0


class CutNetwork(torch.nn.Module):
    def __init__(self, directions):
        super().__init__()
        self.register_buffer("w", directions)
        self.b = torch.nn.Parameter(torch.zeros_like(directions))

    def cuts(self):
        return -self.b / self.w

    def forward(self, x):
        return torch.sigmoid(STEEPNESS * (x * self.w + self.b)).prod(dim=1)


def scan_loss(nets, x, y, targets=TARGETS):
    m = x.shape[1]
    total = 0.0
    bce = torch.nn.BCELoss()
    for t, net in zip(targets, nets):
        score = net(x)
        eff_s = (score * y).sum() / y.sum()
        eff_b = (score * (1 - y)).sum() / (1 - y).sum()
        total = total + ALPHA * (t - eff_s) ** 2 + BETA * eff_b
        total = total + GAMMA * (net.cuts() ** 2).sum() / m + DELTA * bce(score, y)
    smooth = 0.0
    for i in range(1, len(nets) - 1):
        c, cp, cm = nets[i].cuts(), nets[i + 1].cuts(), nets[i - 1].cuts()
        smooth = smooth + ((c - (cp + cm) / 2) ** 2 / ((cp - cm) ** 2 + RHO)).sum()
    return total + EPSILON * smooth / ((len(nets) - 2) * m)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--device", default="all")
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "../../../shared/fixtures/cuts/toy_seed3.csv"))
    args, _ = p.parse_known_args()
    if args.device not in ("all", "cpu"):
        return
    torch.set_num_threads(args.threads)
    data = np.loadtxt(args.data, delimiter=",", skiprows=1, dtype=np.float32)
    train = data[: int(0.8 * len(data))]
    x, y = train[:, :-1], train[:, -1]
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    directions = np.where(x[y == 1].mean(axis=0) > x[y == 0].mean(axis=0), 1.0, -1.0)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    nets = torch.nn.ModuleList(
        [CutNetwork(torch.tensor(directions, dtype=torch.float32)) for _ in TARGETS])
    opt = torch.optim.SGD(nets.parameters(), lr=0.5)
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        opt.zero_grad()
        loss = scan_loss(nets, xt, yt)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t0
    print(json.dumps({"workload": "cabin_fixture_training", "impl": "torch", "backend": "cpu",
                      "device": "cpu (torch %s, %d threads)" % (torch.__version__, args.threads),
                      "n": len(train), "epochs": args.epochs, "targets": len(TARGETS),
                      "features": x.shape[1], "seconds": seconds,
                      "final_loss": float(loss)}), flush=True)


if __name__ == "__main__":
    main()
