#!/usr/bin/env python3
"""Writes the Markdown summary of a scripts/device-check folder on stdout: the stages, the
environment, the GPU test cases, the sanitizer verdicts, each benchmark with its bandwidth and
fraction of the peak, the peers' ratios, the issue's goals, and the Nsight Compute figures."""
import argparse
import json
import os
import re

# The goals for the GPU run: (workload, size, what, test on the hepcat line).
GOALS = [
    ("gato_gmm_step", 10**7, "GMM step (K=16, d=3) over 1e7 events under 1 ms",
     lambda r: r["seconds"] < 1e-3),
    ("gato_gmm_step", 10**7, "GMM step at >= 40 % of peak bandwidth",
     lambda r: r.get("peak_fraction", 0) >= 0.4),
    ("cut_scan_epoch", 10**7, "CABIN epoch over 1e7 events under 5 ms",
     lambda r: r["seconds"] < 5e-3),
    ("batched_fits", None, "batched S+B fits over 3e7 fits/s", lambda r: r["items_per_s"] > 3e7),
]


def read_lines(path):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass
    return rows


def read_text(path):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def fmt(x, digits=3):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder")
    ap.add_argument("--mode", default="device")
    ap.add_argument("--seconds", type=int, default=0)
    ap.add_argument("--incomplete", action="store_true", help="the check stopped before its end")
    args = ap.parse_args()
    d = args.folder
    rows = read_lines(os.path.join(d, "results.jsonl"))
    out = []
    env = next((r["env"] for r in rows if "env" in r), {})
    stages = [r for r in rows if "stage" in r]
    bad = [s for s in stages if s["status"] in ("fail", "timeout")]
    verdict = "FAILED" if bad else "INCOMPLETE" if args.incomplete else "passed"
    out.append(f"# hepcat device check ({args.mode}): {verdict}, {args.seconds} s")
    out.append("")
    out.append(f"GPU: {env.get('gpu', '?')}; CUDA arch {env.get('cuda_arch', '?')}; "
               f"{env.get('cores', '?')} cores; {env.get('nvcc', '?')}; {env.get('cmake', '?')}; "
               f"{env.get('torch', '?')} ({env.get('python', '?')}); compute-sanitizer "
               f"{env.get('compute_sanitizer', '?')}; ncu {env.get('ncu', '?')}; budget "
               f"{env.get('budget_s', '?')} s.")
    out.append(f"Carried: {env.get('carry', '?')}")
    out.append("")
    out.append("| stage | status | seconds | note |")
    out.append("|---|---|---|---|")
    for s in stages:
        out.append(f"| {s['stage']} | {s['status']} | {s['seconds']} | {s['note']} |")
    out.append("")

    tests = read_text(os.path.join(d, "tests.log"))
    cases = re.findall(r"^\s*([0-9.]+) s: (.+)$", tests, re.M)
    totals = re.findall(r"^(All tests passed.*|test cases:.*)$", tests, re.M)
    ctest = re.findall(r"^\d+% tests passed.*$", tests, re.M)
    failed_ctest = re.findall(r"^\s*\d+ - (.+) \((Failed|Timeout|SEGFAULT|Subprocess aborted|"
                              r"Exception|Not Run)\)", tests, re.M)
    out.append("## Tests")
    out.append("")
    if cases:
        out.append("GPU test cases (tests/gpu, CPU against CUDA), seconds each:")
        out.append("")
        for sec, name in cases:
            out.append(f"- {name} ({sec} s)")
        out.append("")
    for line in totals + ctest:
        out.append(f"- {line.strip()}")
    for name, why in failed_ctest:
        out.append(f"- FAILED: {name} ({why})")
    out.append("")

    san = read_text(os.path.join(d, "sanitizer.log"))
    sections = re.split(r"^== (memcheck|racecheck|initcheck|synccheck) \(limit \d+s\): .*$", san,
                        flags=re.M)
    if len(sections) > 1:
        out.append("## compute-sanitizer (GPU tests at HEPCAT_TEST_SIZE=small)")
        out.append("")
        for tool, body in zip(sections[1::2], sections[2::2]):
            found = re.findall(r"^========= (\w+ SUMMARY: .*)$", body, re.M)
            out.append(f"- {tool}: " + ("; ".join(found) if found else "no summary line"))
        out.append("")

    ours = [r for r in rows if r.get("impl") == "hepcat" and "workload" in r
            and "seconds" in r and "items_per_s" in r]
    ceiling = next((r for r in rows if r.get("ceiling") == "device_copy"), None)
    compares = [r for r in rows if "compare" in r]
    if ours:
        out.append("## Benchmarks (hepcat-bench; peers in the same run)")
        out.append("")
        if ceiling:
            out.append(f"Measured ceiling: device-to-device copy {ceiling['gb_per_s']:.0f} GB/s "
                       "(PyTorch, bytes read + written).")
            out.append("")
        out.append("| workload | backend | n | s/step | items/s | GB/s | of peak | of copy | "
                   "peer | peer/hepcat |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for r in ours:
            peer = [c for c in compares if c["compare"] == r["workload"]
                    and c["backend"] == r["backend"] and c["n"] == r["n"]]
            of_copy = r["gb_per_s"] / ceiling["gb_per_s"] if ceiling and r.get(
                "backend") == "cuda" else None
            peer_txt = ", ".join(c["peer"] for c in peer) or "-"
            ratio = ", ".join(f"{c['speedup']:.3g}" for c in peer) or "-"
            out.append(f"| {r['workload']} | {r.get('backend', '-')} | {r['n']} | "
                       f"{fmt(r['seconds'])} | {fmt(r['items_per_s'])} | {fmt(r['gb_per_s'])} | "
                       f"{fmt(r.get('peak_fraction'), 2)} | {fmt(of_copy, 2)} | {peer_txt} | "
                       f"{ratio} |")
        out.append("")
    merges = [r for r in rows if r.get("workload") == "merge_nonlocal"]
    if merges:
        out.append("Merges (`hepcat merge`, nonlocal loc_length): " + "; ".join(
            f"{r['n']} -> {r['target']} bins, {r['n_hyp']} hypotheses: {fmt(r['seconds'])} s "
            f"on {r['device']}" for r in merges))
        out.append("")

    cuda = [r for r in ours if r.get("backend") == "cuda"]
    if cuda:
        out.append("## Goals of the GPU run")
        out.append("")
        for workload, n, what, test in GOALS:
            cand = [r for r in cuda if r["workload"] == workload and (n is None or r["n"] == n)]
            if not cand:
                out.append(f"- {what}: not measured")
                continue
            r = max(cand, key=lambda r: r["n"])
            out.append(f"- {what}: {'met' if test(r) else 'NOT met'} ({fmt(r['seconds'])} s at "
                       f"n = {r['n']}, {fmt(r['items_per_s'])} /s)")
        big = [m for m in merges if m["n"] >= 27000]
        for m in big:
            out.append(f"- {m['n']} -> {m['target']} bin merge ({m['n_hyp']} hypotheses) under "
                       f"1 s: {'met' if m['seconds'] < 1 else 'NOT met'} ({fmt(m['seconds'])} s)")
        slow = [c for c in compares if c["backend"] == "cuda" and c["speedup"] < 10]
        ran = [c for c in compares if c["backend"] == "cuda"]
        if ran:
            out.append(f"- at least 10x the PyTorch CUDA peer: {len(ran) - len(slow)} of "
                       f"{len(ran)} comparisons" + ("" if not slow else "; below: " + ", ".join(
                           f"{c['compare']} n={c['n']} ({c['speedup']:.2g}x)" for c in slow)))
        out.append("")

    ncu = read_text(os.path.join(d, "ncu.log"))
    parts = re.split(r"^\s*(.+?) \(\d+, \d+, \d+\)x\(\d+, \d+, \d+\), Context.*$", ncu, flags=re.M)
    if len(parts) > 1:
        out.append("## Nsight Compute (first launches of each workload)")
        out.append("")
        labels = ["Duration", "DRAM Throughput", "Compute \\(SM\\) Throughput",
                  "Registers Per Thread", "Achieved Occupancy"]
        out.append("| kernel | duration | DRAM throughput | compute throughput | registers | "
                   "achieved occupancy |")
        out.append("|---|---|---|---|---|---|")
        for header, body in zip(parts[1::2], parts[2::2]):
            name = header.replace("void ", "").replace("(anonymous namespace)::", "")
            name = re.sub(r"\(.*", "", name).split("::")[-1]
            cells = []
            for label in labels:
                m = re.search(rf"^\s+{label}\s+(\S+)\s+([0-9.,]+)\s*$", body, re.M)
                cells.append(f"{m.group(2)} {m.group(1)}" if m else "-")
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
