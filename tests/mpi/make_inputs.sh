#!/usr/bin/env bash
# The inputs of the MPI tests: a toy of 30,000 events as HDF5 and CSV, and the CSV with the
# weight of row 29,000 (line 29,002) replaced by nan.
#   make_inputs.sh HEPCAT DIR
set -euo pipefail
hepcat=$1
dir=$2
mkdir -p "$dir"
"$hepcat" toy --events 30000 --seed 5 --out "$dir/toy.h5" >/dev/null
"$hepcat" toy --events 30000 --seed 5 --out "$dir/toy.csv" >/dev/null
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == "weight") w = i }
                  NR == 29002 { $w = "nan" } { print }' "$dir/toy.csv" > "$dir/bad.csv"
