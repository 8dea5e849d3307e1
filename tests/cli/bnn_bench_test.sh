#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bnn-bench's command line and output (not its figures: timing is never tested):
# benchmark_model's run flags, the statistics, the per-kind summary, JSON.
# Usage: bnn_bench_test.sh BNN_BENCH BUILD_DEMO_MODEL
set -u
bench=$1
build_demo=$2
source "$(dirname "$0")/check.sh"
"$build_demo" "$work/demo.bnn" "$work/in.npy" >/dev/null || { echo "FAIL: build-demo-model"; exit 1; }

quick=(--model "$work/demo.bnn" --num-runs 3 --warmup-runs 0 --min-secs 0)
check "help lists the run flags" 0 "--num-runs N.*" -- "$bench" --help
check "statistics: mean, std, min, median, p90, max" 0 "3 runs \(after 0 warm-up\): mean [0-9.]+ ms, std [0-9.]+, min [0-9.]+, median [0-9.]+, p90 [0-9.]+, max [0-9.]+" -- "$bench" "${quick[@]}"
check "a per-kind summary beside the per-layer table" 0 "^BitserialConv2D +[0-9]+ +[0-9.]+ +[0-9.]+%" -- "$bench" "${quick[@]}"
check "JSON: the statistics, no frame_ms without --frame" 0 '"runs": 3, "median_ms": [0-9.]+, "p90_ms": [0-9.]+, "mean_ms": [0-9.]+, "std_ms": [0-9.]+, "min_ms": [0-9.]+, "max_ms": [0-9.]+, "noisy": (true|false), "peak_rss_mib": [0-9.]+, "load_ms": [0-9.]+, "load_no_verify_ms": [0-9.]+}$' -- \
  sh -c "'$bench' --json --model '$work/demo.bnn' --num-runs=3 --warmup-runs=0 --min-secs=0 | head -1"
check "JSON: frame_ms with --frame" 0 '"frame_ms": [0-9.]+}$' -- \
  sh -c "'$bench' --json --frame nv12:64x48 ${quick[*]} | head -1"
check "JSON: a kind summary line" 0 '"mode": "model_kind", "kind": "BitserialConv2D"' -- "$bench" --json "${quick[@]}"
check "a bad --min-secs" 2 "--min-secs needs seconds" -- "$bench" --model "$work/demo.bnn" --min-secs soon
check "--frame lists where the formats are" 2 "formats: bnn-camera --help" -- "$bench" --model "$work/demo.bnn" --frame MJPEG:64x48
check "--kernel lists the kernels this CPU can run" 2 "no kernel 'foo' that this CPU can run; these can: all, .*__portable" -- "$bench" --layers resnet18 --kernel foo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
