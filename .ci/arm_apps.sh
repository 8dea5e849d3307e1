#!/usr/bin/env bash
# CI stage: the apps a Raspberry Pi user runs, from the aarch64 and armv7
# cross builds, under qemu-user (tests/cli/arm_apps_test.sh). Needs the x86
# build of the first stage (its bundled model and its outputs to compare).
# Last line: "N passed, N failed" over both.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
for arch in aarch64-linux-gnu:qemu-aarch64:neon64 arm-linux-gnueabihf:qemu-arm:neon32; do
  IFS=: read -r triple qemu isa <<<"$arch"
  echo "--- $triple"
  log=$(mktemp)
  bash tests/cli/arm_apps_test.sh "$qemu" "/usr/$triple" "build-$triple" build . "$isa" | tee "$log"
  line=$(grep -E "^[0-9]+ passed, [0-9]+ failed$" "$log" | tail -1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
  else
    passed=$((passed + $(cut -d' ' -f1 <<<"$line")))
    failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
