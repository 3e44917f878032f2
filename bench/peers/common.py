"""Timing and output shared by the peer baselines: the same JSON lines as hepcat-bench."""
import json
import os
import statistics
import time


def sizes(lo, hi):
    out, n = [], float(lo)
    while n <= hi * 1.0001:
        out.append(int(round(n)))
        n *= 10 ** 0.5
    return out


def median_seconds_per_step(step, sync=lambda: None, batches=7, min_batch_seconds=0.05):
    """Median over batches of the mean time per step, after three warm-up steps."""
    for _ in range(3):
        step()
    sync()
    t0 = time.perf_counter()
    step()
    sync()
    one = max(time.perf_counter() - t0, 1e-7)
    per_batch = max(1, int(min_batch_seconds / one + 0.999))
    means = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(per_batch):
            step()
        sync()
        means.append((time.perf_counter() - t0) / per_batch)
    return statistics.median(means)


def emit(workload, impl, backend, device, n, unit, seconds, bytes_per_item):
    print(json.dumps({
        "workload": workload, "impl": impl, "backend": backend, "device": device, "n": n,
        "unit": unit, "seconds": seconds, "items_per_s": n / seconds,
        "gb_per_s": bytes_per_item * n / seconds / 1e9,
        "threads": os.cpu_count(),
    }), flush=True)


def parse_args(description):
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--device", default="all", help="all, cpu or cuda")
    p.add_argument("--min", type=float, default=1e5)
    p.add_argument("--cpu-max", type=float, default=1e6)
    p.add_argument("--gpu-max", type=float, default=1e7)
    # Options meant for hepcat-bench alone (bench/run passes both the same) are ignored.
    return p.parse_known_args()[0]


def torch_backends(args):
    """(device, device name, synchronise, largest size) for each backend PyTorch has among those
    asked for."""
    import torch
    out = []
    if args.device in ("all", "cpu"):
        out.append((torch.device("cpu"), f"cpu (torch {torch.__version__})", lambda: None,
                    args.cpu_max))
    if args.device in ("all", "cuda") and torch.cuda.is_available():
        dev = torch.device("cuda")
        out.append((dev, torch.cuda.get_device_name(dev), torch.cuda.synchronize, args.gpu_max))
    return out
