#!/usr/bin/python3
"""Reads benchmark JSON lines (hepcat-bench and the peers, from one run) on stdin and prints,
for each workload, backend and size measured by both, the peer's time over hepcat's."""
import json
import sys


def main():
    rows = [json.loads(line) for line in sys.stdin if line.startswith("{")]
    ours = {(r["workload"], r["backend"], r["n"]): r for r in rows if r.get("impl") == "hepcat"}
    for r in rows:
        if r.get("impl") == "hepcat" or "seconds" not in r:
            continue
        mine = ours.get((r["workload"], r["backend"], r["n"]))
        if mine is None:
            continue
        print(json.dumps({"compare": r["workload"], "backend": r["backend"], "n": r["n"],
                          "peer": r["impl"], "peer_seconds": r["seconds"],
                          "hepcat_seconds": mine["seconds"],
                          "speedup": r["seconds"] / mine["seconds"]}))


if __name__ == "__main__":
    main()
