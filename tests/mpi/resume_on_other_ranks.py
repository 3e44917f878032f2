#!/usr/bin/env python3
"""Checkpoints a hepcat command on one number of ranks, kills it, resumes it on another, and
checks that the output is byte-identical to an uninterrupted single-process run apart from the
timing ("seconds") and device ("device") lines.

    resume_on_other_ranks.py MPIEXEC FIRST_RANKS THEN_RANKS OUTDIR EPOCHS HEPCAT ARGS...
    (ARGS without --out; EPOCHS: the epochs or steps the command runs, checkpointed every one)
"""
import json
import os
import signal
import subprocess
import sys
import time

from same_as_one_process import run


def kill_session(sid):
    """SIGKILL to every process of session `sid`."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:
                os.kill(int(entry), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


def main():
    mpiexec, first, then, outdir, epochs = sys.argv[1:6]
    hepcat, args = sys.argv[6], sys.argv[7:]
    os.makedirs(outdir, exist_ok=True)
    ck = os.path.join(outdir, "ck.json")
    part = os.path.join(outdir, "part.json")
    for f in (ck, part):
        if os.path.exists(f):
            os.remove(f)
    full = run([hepcat] + args, os.path.join(outdir, "full.json"))

    # Killed once the first checkpoint is there: the launcher and its ranks, all in the session
    # the launcher leads.
    started = subprocess.Popen([mpiexec, "-np", first, hepcat] + args +
                               ["--out", part, "--checkpoint", ck, "--checkpoint-every", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while not os.path.exists(ck) and started.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    kill_session(started.pid)
    started.wait(timeout=120)
    if os.path.exists(part):
        sys.exit(f"the run on {first} ranks finished before it was stopped")
    with open(ck, encoding="utf-8") as f:
        epoch = json.load(f)["epoch"]
    if not 1 <= epoch < int(epochs):
        sys.exit(f"the checkpoint holds epoch {epoch} of {epochs}")

    resumed = run([mpiexec, "-np", then, hepcat] + args + ["--resume", ck], part)
    if resumed != full:
        sys.exit(f"resumed on {then} ranks after epoch {epoch} of {first} ranks: the output differs")
    print(f"checkpointed after epoch {epoch} on {first} ranks, resumed on {then}: identical")


if __name__ == "__main__":
    main()
