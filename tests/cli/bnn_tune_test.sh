#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bnn-tune as a user runs it: a short tuning run on the demo model; the tuned
# model must give bit-identical outputs at 1 and 2 threads and show its
# schedules; bad usage and a bad model get clear errors.
# Usage: bnn_tune_test.sh BNN_TUNE BNN_RUN BUILD_DEMO_MODEL
set -u
bnn_tune=$1
bnn_run=$2
build_demo=$3
source "$(dirname "$0")/check.sh"

"$build_demo" "$work/demo.bnn" "$work/x.npy" >/dev/null
check "--help" 0 "--exhaustive" -- "$bnn_tune" --help
check "no output" 2 "required" -- "$bnn_tune" "$work/demo.bnn"
check "bad threads" 2 "--threads needs" -- "$bnn_tune" "$work/demo.bnn" -o "$work/t.bnn" --threads 0
check "not a model" 1 "bnn-tune: error" -- "$bnn_tune" "$work/x.npy" -o "$work/t.bnn"
check "tunes with progress and a table" 0 "\[1/[0-9]+\].*left" -- \
  "$bnn_tune" "$work/demo.bnn" -o "$work/tuned.bnn" --budget-seconds 5 --timed-per-layer 3
check "the table has a speedup column" 0 "speedup" -- \
  "$bnn_tune" "$work/demo.bnn" -o "$work/tuned2.bnn" --budget-seconds 3 --timed-per-layer 2 --threads 2
check "--info shows tuned schedules" 0 "(bgemm_ukernel|bconv_direct)_[^ ]* \((bgemm_ukernel|bconv_direct)" -- "$bnn_run" --info "$work/tuned.bnn"
for threads in 1 2; do
  "$bnn_run" --model "$work/demo.bnn" --input "$work/x.npy" --output "$work/a$threads.npy" --threads "$threads" 2>/dev/null
  "$bnn_run" --model "$work/tuned.bnn" --input "$work/x.npy" --output "$work/b$threads.npy" --threads "$threads" 2>/dev/null
  check "tuned and untuned outputs are bit-identical ($threads threads)" 0 "" -- cmp "$work/a$threads.npy" "$work/b$threads.npy"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
