#!/usr/bin/python3
"""Reference parameters for tests/optim/test_optim.cpp, computed with torch.optim in float64.

Run with Debian's /usr/bin/python3 (torch 1.13). Five parameters take 20 steps under a fixed
gradient sequence and a per-step learning rate; the printed values are pasted into the test.
The initial parameters and gradients are exactly representable in float32, so the test feeds
the same numbers to hepcat's float buffers.
"""
import torch

N_PARAMS = 5
N_STEPS = 20
INITIAL = [1.5, -2.0, 0.75, -1.25, 3.0]


def gradient(t, i):
    # Multiples of 1/32 in [-2.5, 2.5]: exact in float32, varied in sign and size.
    return (((7 * t + 13 * i + 3) % 17) - 8) / 8.0 * (1.0 + i / 4.0)


def learning_rate(base, t):
    return base * (1.0 - 0.02 * t)


CASES = [
    ("sgd", 0.05, lambda p: torch.optim.SGD(p, lr=1.0)),
    ("sgd momentum dampening weight decay maximize", 0.05,
     lambda p: torch.optim.SGD(p, lr=1.0, momentum=0.9, dampening=0.1, weight_decay=0.01,
                               maximize=True)),
    ("sgd nesterov weight decay", 0.05,
     lambda p: torch.optim.SGD(p, lr=1.0, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("adam", 0.01, lambda p: torch.optim.Adam(p, lr=1.0)),
    ("adam l2 amsgrad", 0.01,
     lambda p: torch.optim.Adam(p, lr=1.0, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("adamw", 0.01, lambda p: torch.optim.AdamW(p, lr=1.0, weight_decay=0.1)),
    ("rmsprop", 0.01, lambda p: torch.optim.RMSprop(p, lr=1.0)),
    ("rmsprop centered momentum weight decay", 0.01,
     lambda p: torch.optim.RMSprop(p, lr=1.0, alpha=0.9, eps=1e-6, momentum=0.5, centered=True,
                                   weight_decay=0.05)),
]


def run(base, make):
    param = torch.tensor(INITIAL, dtype=torch.float64, requires_grad=True)
    opt = make([param])
    for t in range(N_STEPS):
        for group in opt.param_groups:
            group["lr"] = learning_rate(base, t)
        param.grad = torch.tensor([gradient(t, i) for i in range(N_PARAMS)], dtype=torch.float64)
        opt.step()
    return param.detach().tolist()


def main():
    print(f"// torch {torch.__version__}, float64, tests/reference/optim_reference.py")
    for name, base, make in CASES:
        values = ", ".join(repr(v) for v in run(base, make))
        print(f'{{"{name}", {{{values}}}}},')


if __name__ == "__main__":
    main()
