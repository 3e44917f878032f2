#!/usr/bin/python3
"""Reference parameters for tests/optim/test_optim.cpp, computed with torch.optim in float64.

Run with Debian's /usr/bin/python3 (torch 1.13). Five parameters take 20 steps under a fixed
gradient sequence and a per-step learning rate; the cases, their settings and the final
parameters are written to optim_torch.json beside this script, which the test reads.
The initial parameters and gradients are exactly representable in float32, so the test feeds
the same numbers to hepcat's float buffers.
"""
import json
from pathlib import Path

import torch

N_PARAMS = 5
N_STEPS = 20
INITIAL = [1.5, -2.0, 0.75, -1.25, 3.0]


def gradient(t, i):
    # Multiples of 1/32 in [-2.5, 2.5]: exact in float32, varied in sign and size.
    return (((7 * t + 13 * i + 3) % 17) - 8) / 8.0 * (1.0 + i / 4.0)


def learning_rate(base, t):
    return base * (1.0 - 0.02 * t)


# Settings named as hepcat's OptimizerConfig fields (absent ones keep the defaults, which are
# torch's); make_optimizer turns them into the torch optimizer they mean.
CASES = [
    ("sgd", 0.05, {"kind": "sgd"}),
    ("sgd momentum dampening weight decay maximize", 0.05,
     {"kind": "sgd", "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01, "maximize": True}),
    ("sgd nesterov weight decay", 0.05,
     {"kind": "sgd", "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("adam", 0.01, {"kind": "adam"}),
    ("adam l2 amsgrad", 0.01,
     {"kind": "adam", "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.1, "amsgrad": True}),
    ("adamw", 0.01, {"kind": "adam", "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("rmsprop", 0.01, {"kind": "rmsprop"}),
    ("rmsprop centered momentum weight decay", 0.01,
     {"kind": "rmsprop", "alpha": 0.9, "eps": 1e-6, "momentum": 0.5, "centered": True,
      "weight_decay": 0.05}),
]


def make_optimizer(params, settings):
    options = dict(settings)
    kind = options.pop("kind")
    if kind == "sgd":
        return torch.optim.SGD(params, lr=1.0, **options)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=1.0, **options)
    if "beta1" in options or "beta2" in options:
        options["betas"] = (options.pop("beta1", 0.9), options.pop("beta2", 0.999))
    adam = torch.optim.AdamW if options.pop("decoupled_weight_decay", False) else torch.optim.Adam
    return adam(params, lr=1.0, **options)


def run(base, settings):
    param = torch.tensor(INITIAL, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([param], settings)
    for t in range(N_STEPS):
        for group in opt.param_groups:
            group["lr"] = learning_rate(base, t)
        param.grad = torch.tensor([gradient(t, i) for i in range(N_PARAMS)], dtype=torch.float64)
        opt.step()
    return param.detach().tolist()


def main():
    cases = [{"name": name, "base_lr": base, "settings": settings, "expected": run(base, settings)}
             for name, base, settings in CASES]
    out = Path(__file__).with_name("optim_torch.json")
    out.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
