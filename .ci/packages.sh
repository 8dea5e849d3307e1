#!/usr/bin/env bash
# CI stage: Debian packages (cpack) for amd64 and, from the cross builds, for
# arm64 and armhf (Raspberry Pi OS 64/32-bit); tests/install/deb_test.sh checks
# names, dependencies and contents and runs the packaged bnn-classify (under
# qemu for ARM). Last line: "N passed, N failed" over all three.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
for spec in build:amd64:: build-aarch64-linux-gnu:arm64:qemu-aarch64:/usr/aarch64-linux-gnu \
            build-arm-linux-gnueabihf:armhf:qemu-arm:/usr/arm-linux-gnueabihf; do
  IFS=: read -r dir arch qemu sysroot <<<"$spec"
  echo "--- $arch ($dir)"
  log=$(mktemp)
  { cmake -S . -B "$dir" -DCMAKE_INSTALL_PREFIX=/usr >/dev/null && cmake --build "$dir" -j2 >/dev/null &&
    bash tests/install/deb_test.sh "$dir" . "$arch" $qemu $sysroot; } 2>&1 | tee "$log"
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
