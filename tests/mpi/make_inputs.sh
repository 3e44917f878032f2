#!/usr/bin/env bash
# The inputs of the MPI tests: a toy of 100,000 events as HDF5 and CSV (train and test samples
# of four reduction chunks each), and the CSV with the weight of row 90,000 (line 90,002), in the
# last rank's test shard, replaced by nan; Split-N-Fit toys of 60,000 events (four chunks) for
# training and testing.
#   make_inputs.sh HEPCAT DIR
set -euo pipefail
hepcat=$1
dir=$2
mkdir -p "$dir"
"$hepcat" toy --events 100000 --seed 5 --out "$dir/toy.h5" >/dev/null
"$hepcat" toy --events 100000 --seed 5 --out "$dir/toy.csv" >/dev/null
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == "weight") w = i }
                  NR == 90002 { $w = "nan" } { print }' "$dir/toy.csv" > "$dir/bad.csv"
"$hepcat" toy --study splitfit --events 60000 --seed 2 --out "$dir/splitfit_data.h5" >/dev/null
"$hepcat" toy --study splitfit --events 60000 --seed 4 --out "$dir/splitfit_test.csv" >/dev/null
