#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CI stage: Debian packages (cpack) for amd64 and, from the cross builds, for
# arm64 and armhf (Raspberry Pi OS 64/32-bit); tests/install/deb_test.sh checks
# names, dependencies and contents and runs the packaged bnn-classify (under
# qemu for ARM). Last line: "N passed, N failed" over all three.
set -uo pipefail
cd "$(dirname "$0")/.."
source .ci/summary.sh
for spec in build:amd64:: build-aarch64-linux-gnu:arm64:qemu-aarch64:/usr/aarch64-linux-gnu \
            build-arm-linux-gnueabihf:armhf:qemu-arm:/usr/arm-linux-gnueabihf; do
  IFS=: read -r dir arch qemu sysroot <<<"$spec"
  echo "--- $arch ($dir)"
  log=$(mktemp)
  { cmake -S . -B "$dir" -DCMAKE_INSTALL_PREFIX=/usr >/dev/null && cmake --build "$dir" -j2 >/dev/null &&
    bash tests/install/deb_test.sh "$dir" . "$arch" $qemu $sysroot; } 2>&1 | tee "$log"
  add_counts "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
