#!/usr/bin/python3
"""GATO GMM training step written the way a PyTorch user would: the peer of hepcat's fused
two-pass step (K = 16 components in d = 3, two signals, geometric-mean Asimov significance,
low-background penalty, RMSprop), on the events of hepcat-bench's gato_gmm_step (three N(0, 1)
features, unit weights, process = i mod 7). Prints the JSON lines of bench/peers/common.py.
"""
try:
    import torch
except ImportError:  # the runner reports the peer as skipped
    raise SystemExit(1)

from common import emit, median_seconds_per_step, parse_args, sizes, torch_backends


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
        self.register_buffer("tril", torch.tril_indices(d, d, offset=-1))

    def scale_tril(self):
        L = torch.diag_embed(self.sigma_base * torch.exp(self.diag_raw))
        off = torch.zeros(self.k, self.d, self.d, device=self.diag_raw.device)
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
    args = parse_args(__doc__)
    for dev, name, sync, max_n in torch_backends(args):
        backend = dev.type
        for n in sizes(args.min, max_n):
            g = torch.Generator().manual_seed(1)
            x = torch.randn(n, 3, generator=g).to(dev)
            w = torch.ones(n, device=dev)
            proc = (torch.arange(n) % 7).to(dev)
            model = GMM(16, 3, -3.0, 3.0, 0.5, seed=1).to(dev)
            opt = torch.optim.RMSprop(model.parameters(), lr=0.01)

            def step():
                opt.zero_grad()
                loss_fn(model(x, 0.5), w, proc).backward()
                opt.step()

            # Reads the three features, the weight and the process id twice (forward and
            # backward), as hepcat's two passes do: 2 * 20 bytes per event.
            emit("gato_gmm_step", "torch", backend, name, n, "events",
                 median_seconds_per_step(step, sync), 40.0)


if __name__ == "__main__":
    main()
