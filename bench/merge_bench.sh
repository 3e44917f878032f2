#!/bin/bash
# Merge benchmark: `hepcat merge` (nonlocal, loc_length) on seeded random histograms, side by side
# with the dense-matrix peer (bench/peers/milomerge_peer.py) where that can run. One JSON line per
# measurement; hepcat lines carry the peer's time and the ratio when both ran.
#   bench/merge_bench.sh [path/to/hepcat] [--device cpu|cuda|auto] [--no-peer] [--quick]
# --quick: the first case alone (a check that the benchmark runs, not a measurement).
# PYTHON names the interpreter (default /usr/bin/python3, else python3 on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hepcat=${1:-$here/../build/hepcat}
shift || true
device=auto
peer=1
quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --device) device=$2; shift 2 ;;
    --no-peer) peer=0; shift ;;
    --quick) quick=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# bins hypotheses target run-peer
cases="2000 2 10 1
4000 2 150 1
27000 2 150 0
27000 8 150 0"
[ "$quick" = 1 ] && cases=$(echo "$cases" | head -1)
[ "${HEPCAT_BENCH_LARGE:-0}" = 1 ] && cases="$cases
100000 2 150 0"

while read -r bins hyp target with_peer; do
  input=$work/h_${bins}_${hyp}.json
  $py "$here/merge_histogram.py" --bins "$bins" --hyp "$hyp" --target "$target" --out "$input"
  "$hepcat" merge --input "$input" --device "$device" --out "$work/out.json"
  peer_seconds=null
  if [ "$peer" = 1 ] && [ "$with_peer" = 1 ]; then
    line=$($py "$here/peers/milomerge_peer.py" --input "$input")
    echo "$line"
    peer_seconds=$(echo "$line" | $py -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  fi
  $py - "$work/out.json" "$bins" "$hyp" "$target" "$peer_seconds" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
peer = None if sys.argv[5] == "null" else float(sys.argv[5])
line = {"workload": "merge_nonlocal", "impl": "hepcat", "device": out["device"],
        "n": int(sys.argv[2]), "n_hyp": int(sys.argv[3]), "target": int(sys.argv[4]),
        "seconds": out["seconds"], "loc_retained": out["loc"]["retained"]}
if peer is not None:
    line["peer_seconds"] = peer
    line["ratio"] = peer / out["seconds"]
print(json.dumps(line))
PY
done <<< "$cases"
