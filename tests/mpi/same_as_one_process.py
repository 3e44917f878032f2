#!/usr/bin/env python3
"""Runs one hepcat command as a plain process and under `MPIEXEC -np N`, and checks that the two
output files are byte-identical apart from the timing ("seconds") and device ("device", which
names the thread count) lines.

    same_as_one_process.py MPIEXEC N OUTDIR HEPCAT ARGS...   (ARGS without --out)
"""
import os
import re
import subprocess
import sys

IGNORED = re.compile(r'^\s*"(seconds|device)":')


def run(cmd, out):
    if os.path.exists(out):
        os.remove(out)
    proc = subprocess.run(cmd + ["--out", out], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed with status {proc.returncode}:\n{proc.stderr}")
    with open(out, encoding="utf-8") as f:
        return [line for line in f if not IGNORED.match(line)]


def main():
    mpiexec, ranks, outdir, hepcat, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    os.makedirs(outdir, exist_ok=True)
    stem = os.path.join(outdir, f"np{ranks}")
    plain = run([hepcat] + args, stem + "_plain.json")
    ranked = run([mpiexec, "-np", ranks, hepcat] + args, stem + "_mpi.json")
    if plain != ranked:
        for i, (a, b) in enumerate(zip(plain, ranked)):
            if a != b:
                sys.exit(f"line {i + 1} differs:\n  one process: {a.rstrip()}\n  {ranks} ranks: {b.rstrip()}")
        sys.exit(f"{len(plain)} lines from one process, {len(ranked)} from {ranks} ranks")
    print(f"{len(plain)} lines identical on 1 process and {ranks} ranks")


if __name__ == "__main__":
    main()
