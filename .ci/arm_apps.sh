#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CI stage: the apps a Raspberry Pi user runs, from the aarch64 and armv7
# cross builds, under qemu-user (tests/cli/arm_apps_test.sh). Needs the x86
# build of the first stage (its bundled model and its outputs to compare) and
# the GStreamer sysroots of the qemu stages (the ARM element in ARM gst-launch).
# Last line: "N passed, N failed" over both.
set -uo pipefail
cd "$(dirname "$0")/.."
source .ci/summary.sh
for arch in aarch64-linux-gnu:qemu-aarch64:neon64 arm-linux-gnueabihf:qemu-arm:neon32; do
  IFS=: read -r triple qemu isa <<<"$arch"
  echo "--- $triple"
  log=$(mktemp)
  bash tests/cli/arm_apps_test.sh "$qemu" "/usr/$triple" "build-$triple" build . "$isa" "build-$triple.gst" | tee "$log"
  add_counts "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
