#!/usr/bin/env bash
# Runs a command that must fail: passes when it exits non-zero before the time limit, fails when
# it succeeds or hangs (a job that waits for a rank that left).
#   expect_failure.sh SECONDS COMMAND...
limit=$1
shift
timeout --kill-after=5 "$limit" "$@"
rc=$?
if [ "$rc" -eq 0 ]; then
  echo "expected a failure, but the command succeeded" >&2
  exit 1
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  echo "the command hung: still running after ${limit} s" >&2
  exit 1
fi
echo "failed as expected with status $rc"
