#!/usr/bin/python3
"""GATO GMM training step written the way a PyTorch user would: the peer of hepcat's fused
two-pass step (K = 16 components in d = 3, two signals, geometric-mean Asimov significance,
low-background penalty, RMSprop). Prints one JSON line per event count.

Usage: /usr/bin/python3 bench/peers/gato_torch.py [--sizes 100000,1000000] [--repeats 5]
"""
import argparse
import json
import math
import time

import torch


def asimov_z2(s, b):
    b = torch.clamp(b, min=1e-9)
    x = s / b
    exact = 2.0 * ((s + b) * torch.log1p(x) - s)
    series = b * (x**2 - x**3 / 3.0 + x**4 / 6.0)
    z2 = torch.where(x < 0.1, series, exact)
    return torch.where(s > 0, z2, torch.zeros_like(z2))


class GMM(torch.nn.Module):
    def __init__(self, k, d, lo, hi, sigma_base, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.k, self.d, self.lo, self.hi, self.sigma_base = k, d, lo, hi, sigma_base
        self.mean_raw = torch.nn.Parameter(torch.randn(k, d, generator=g))
        self.diag_raw = torch.nn.Parameter(torch.zeros(k, d))
        self.off_raw = torch.nn.Parameter(torch.zeros(k, d * (d - 1) // 2))
        self.logits = torch.nn.Parameter(torch.zeros(k))
        self.tril = torch.tril_indices(d, d, offset=-1)

    def scale_tril(self):
        L = torch.diag_embed(self.sigma_base * torch.exp(self.diag_raw))
        off = torch.zeros(self.k, self.d, self.d)
        off[:, self.tril[0], self.tril[1]] = 0.1 * self.off_raw
        return L + off

    def forward(self, x, temperature):
        mu = self.lo + torch.sigmoid(self.mean_raw) * (self.hi - self.lo)
        dist = torch.distributions.MultivariateNormal(mu, scale_tril=self.scale_tril())
        log_pi = torch.log_softmax(self.logits, dim=0)
        scores = dist.log_prob(x[:, None, :]) + log_pi  # N x K
        return torch.softmax(scores / temperature, dim=1)


def loss_fn(gamma, w, proc, signals=(0, 1), b_min=10.0, lam_low=0.01):
    bkg_mask = torch.ones_like(w, dtype=torch.bool)
    for p in signals:
        bkg_mask &= proc != p
    wb = w * bkg_mask
    b = wb @ gamma
    s = [(w * (proc == p)) @ gamma for p in signals]
    zs = []
    for i in range(len(signals)):
        bi = b + sum(s[j] for j in range(len(signals)) if j != i)
        zs.append(torch.sqrt(asimov_z2(s[i], bi).sum()))
    z = torch.exp(torch.log(torch.stack(zs).clamp(min=1e-12)).mean())
    p_low = (torch.clamp(b_min - b, min=0.0) ** 2).sum()
    return -z + lam_low * p_low


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(1)
    for n in [int(v) for v in args.sizes.split(",")]:
        x = torch.randn(n, 3, generator=g)
        w = torch.ones(n)
        proc = torch.arange(n) % 7
        model = GMM(16, 3, -3.0, 3.0, 0.5, seed=1)
        opt = torch.optim.RMSprop(model.parameters(), lr=0.01)

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x, 0.5), w, proc)
            loss.backward()
            opt.step()
            return loss.item()

        step()  # warm-up
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        times.sort()
        print(json.dumps({"workload": "gato_gmm_step", "impl": "torch", "backend": "cpu", "n": n,
                          "seconds": times[len(times) // 2], "threads": torch.get_num_threads(),
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
