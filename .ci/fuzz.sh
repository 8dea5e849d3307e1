#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CI stage: run each libFuzzer target (clang-14, ASan + UBSan) for SECONDS
# (default 30) from its committed seeds, on a copy of the corpus. The targets
# come from BUILD_DIR (default build-fuzz), configured with -DBNN_FUZZ=ON
# there when it has no build yet (.ci/asan.sh leaves them built in
# build-asan). Any crash, leak or timeout fails. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${2:-build-fuzz}
targets=(fuzz_model_load fuzz_model_fields fuzz_npy fuzz_onnx fuzz_image fuzz_checkpoint fuzz_frame)
if [ ! -f "$build/CMakeCache.txt" ]; then
  apt-get install -y -qq clang-14 libfuzzer-14-dev libclang-rt-14-dev libomp-14-dev >/dev/null || exit 1
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -DBNN_FUZZ=ON -DBNN_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
fi
# Always: a no-op when the targets are current, never fuzzing stale code.
cmake --build "$build" -j2 --target "${targets[@]}" || exit 1
passed=0
failed=0
for spec in model_load:model model_fields:none npy:npy onnx:onnx image:image checkpoint:checkpoint frame:frame; do
  target=${spec%%:*}
  seeds=${spec##*:}
  work=$(mktemp -d)
  [ -d "tests/fuzz/corpus/$seeds" ] && cp "tests/fuzz/corpus/$seeds"/* "$work/"
  if "$build/bin/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
       -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
    passed=$((passed + 1))
    echo "fuzz_$target: $(grep -E '^#[0-9]+' "$work.log" | tail -1)"
  else
    failed=$((failed + 1))
    echo "fuzz_$target FAILED:"
    tail -40 "$work.log"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
