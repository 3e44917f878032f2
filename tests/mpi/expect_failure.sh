#!/usr/bin/env bash
# Runs a command that must fail: passes when it exits non-zero before the time limit (and, when
# TEXT is not empty, its output contains TEXT); fails when it succeeds or hangs (a job that waits
# for a rank that left).
#   expect_failure.sh SECONDS TEXT COMMAND...
limit=$1
text=$2
shift 2
output=$(timeout --kill-after=5 "$limit" "$@" 2>&1)
rc=$?
echo "$output" | tail -n 20
if [ "$rc" -eq 0 ]; then
  echo "expected a failure, but the command succeeded" >&2
  exit 1
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  echo "the command hung: still running after ${limit} s" >&2
  exit 1
fi
if [ -n "$text" ] && ! grep -qF -- "$text" <<<"$output"; then
  echo "the output does not say '$text'" >&2
  exit 1
fi
echo "failed as expected with status $rc"
