#!/usr/bin/python3
"""Peer of the ABC jet-assignment model (SCIENCE.md section 5) written the way a PyTorch user
would: nn.MultiheadAttention (add_bias_kv, attention dropout 0.1), nn.LayerNorm, nn.Linear,
BatchNorm on the inputs, autograd. Same architecture and size as the published model (E = 32,
4 heads, 4 blocks, T = 2, 115,844 parameters), pairwise bias repeated per head in event-major order
(the fixed version). Measures one training step (soft choice, loss, backward, clip_grad_norm_ 0.1,
Adam) at batch 2048 with 10 jet slots, and inference (eval mode, hard argmax, no_grad) over
16,384 events: the sizes hepcat-bench's assign workloads use."""

try:
    import torch
    import torch.nn as nn
except ImportError:  # the runner reports the peer as skipped
    raise SystemExit(1)

from common import emit, median_seconds_per_step, parse_args, torch_backends

E, H, BLOCKS, T, J = 32, 4, 4, 2, 10


def mlp(widths, last_norm):
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if last_norm or i + 2 < len(widths):
            layers += [nn.LayerNorm(b), nn.ReLU()]
    return nn.Sequential(*layers)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(E, H, dropout=0.1, add_bias_kv=True, batch_first=True)
        self.post_attn_norm = nn.LayerNorm(E)
        self.ffwd = mlp([E, E, E, E, E], True)
        self.post_ffwd_norm = nn.LayerNorm(E)

    def forward(self, q, kv, key_padding_mask=None, attn_mask=None):
        v, _ = self.attn(q, kv, kv, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                         need_weights=False)
        if v.shape == kv.shape:
            v = v + kv
        v = self.post_attn_norm(v)
        return self.post_ffwd_norm(self.ffwd(v) + v)


class ABC(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_bn = nn.BatchNorm1d(5)
        self.embed = mlp([5, E, E, E, E], False)
        self.pair = mlp([3, E, E, E, 1], False)
        self.obj = nn.ModuleList(Block() for _ in range(BLOCKS))
        self.cand = nn.ModuleList(Block() for _ in range(BLOCKS))
        self.cross = nn.ModuleList(Block() for _ in range(BLOCKS))
        d = E - T + 1
        self.ae_in = mlp([d, 24, 17, 10, 4], False)
        self.ae_out = mlp([4, 10, 17, 24, d], False)

    def choice(self, x):
        if self.training:
            return torch.softmax(x[:, :, :T] / 0.1, dim=2)
        return nn.functional.one_hot(x[:, :, :T].argmax(-1), T).float()

    def forward(self, x):
        pad = x[:, :, 0] == 0
        p4_in = x
        h = self.embed(self.input_bn(x.transpose(1, 2)).transpose(1, 2))
        h = h.masked_fill(pad[..., None], 0)
        w = x[:, :, 1:4]
        eta, c, s = w[..., 0], w[..., 1], w[..., 2]
        f = torch.stack([eta[:, :, None] - eta[:, None, :],
                         c[:, :, None] * c[:, None, :] + s[:, :, None] * s[:, None, :],
                         s[:, :, None] * c[:, None, :] - c[:, :, None] * s[:, None, :]], -1)
        bias = self.pair(f).squeeze(-1).repeat_interleave(H, 0)
        for ib in range(BLOCKS):
            h = self.obj[ib](h, h, key_padding_mask=pad, attn_mask=bias)
            h = h.masked_fill(pad[..., None], 0)
            a = self.choice(h)
            cand = self.cand[ib](torch.bmm(a.transpose(1, 2), h), torch.bmm(a.transpose(1, 2), h))
            h = self.cross[ib](h, cand).masked_fill(pad[..., None], 0)
        a = self.choice(h)
        pt = torch.exp(p4_in[..., 0])
        pt = torch.where(pt == 1, torch.zeros_like(pt), pt)
        e = torch.exp(p4_in[..., 4])
        e = torch.where(e == 1, torch.zeros_like(e), e)
        p4 = torch.stack([e, pt * p4_in[..., 2], pt * p4_in[..., 3], pt * torch.sinh(p4_in[..., 1])],
                         -1)
        cp4 = torch.bmm(a.transpose(1, 2), p4)
        m = torch.sqrt((cp4[..., 0] * 1.0001) ** 2 - (cp4[..., 1:] ** 2).sum(-1) + 1e-4) / 100
        c = torch.cat([cand[:, :, T:], m[..., None]], -1)
        r0, r1 = self.ae_out(self.ae_in(c[:, 0])), self.ae_out(self.ae_in(c[:, 1]))
        mse = lambda u, v: ((u - v) ** 2).mean(-1)
        loss = mse(c[:, 0], r0) + mse(c[:, 1], r1)
        xloss = mse(c[:, 0], r1) + mse(c[:, 1], r0)
        return loss.mean() + xloss.mean(), a


def events(n, dev):
    g = torch.Generator().manual_seed(4)
    u = lambda: torch.rand(n, J, generator=g)
    slot = torch.arange(J)[None, :].expand(n, J)
    real = slot < (6 + torch.arange(n)[:, None] % 5)
    pt = (250.0 / (1 + slot) + 20 * u()) * real
    eta = (4 * u() - 2) * real
    phi = (6.28 * u() - 3.14) * real
    e = (pt * torch.cosh(eta) + 5) * real
    logs = lambda v: torch.where(v > 0, torch.log(v.clamp(min=1e-30)), torch.zeros_like(v))
    return torch.stack([logs(pt), eta, torch.cos(phi), torch.sin(phi), logs(e)], -1).to(dev)


def main():
    args = parse_args(__doc__)
    for dev, name, sync, _ in torch_backends(args):
        torch.manual_seed(1)
        model = ABC().to(dev)
        assert sum(p.numel() for p in model.parameters()) == 115844
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = events(2048, dev)

        def train_step():
            model.train()
            opt.zero_grad()
            loss, _ = model(x)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            opt.step()

        emit("assign_train_step", "torch", dev.type, name, 2048, "events",
             median_seconds_per_step(train_step, sync, batches=5), J * 5 * 4.0)

        xi = events(16384, dev)
        model.eval()

        def infer():
            with torch.no_grad():
                model(xi)

        emit("assign_inference", "torch", dev.type, name, 16384, "events",
             median_seconds_per_step(infer, sync, batches=5), J * 5 * 4.0)


if __name__ == "__main__":
    main()
