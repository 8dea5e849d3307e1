#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A private GStreamer sysroot for a cross build: Debian's arm64/armhf GStreamer
# development and runtime packages, downloaded with a throwaway apt state (no
# `dpkg --add-architecture`, nothing installed on this machine) and unpacked
# into DIR. The cross build finds it through -DBNN_GST_SYSROOT=DIR; qemu runs
# the ARM gst-inspect-1.0/gst-launch-1.0 from it. Usage: arm_gst_sysroot.sh ARCH DIR
set -euo pipefail
arch=$1 dir=$(realpath -m "$2")
state=$dir.apt
rm -rf "$state/debs" "$dir"  # never mix versions from an earlier run
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs" "$dir"
opts=(-o APT::Architecture="$arch" -o APT::Architectures::="$arch" -o Dir::State::Lists="$state/lists"
      -o Dir::Cache="$state/cache" -o Dir::State::status=/dev/null -o Debug::NoLocking=1)
# Headers and .pc files pkg-config walks for gstreamer-video-1.0, the
# libraries they name, what those load at run time, and the tools.
packages=(libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libglib2.0-dev libpcre2-dev libffi-dev
          libunwind-dev libdw-dev libelf-dev zlib1g-dev liblzma-dev liborc-0.4-dev
          libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 libglib2.0-0 liborc-0.4-0 libunwind8 libdw1 libelf1
          zlib1g liblzma5 libffi8 libpcre2-8-0 libbz2-1.0 libzstd1 libcap2
          gstreamer1.0-tools gstreamer1.0-plugins-base)
# A mirror caught mid-sync fails one index; the others still resolve every package.
apt-get "${opts[@]}" update -qq || echo "arm_gst_sysroot: some package indexes failed to update (continuing)" >&2
# (apt warns that root downloads unsandboxed; that warning alone is dropped.)
(cd "$state/debs" && apt-get -qq "${opts[@]}" download "${packages[@]}" 2>&1) | grep -v "unsandboxed" >&2 || true
for p in "${packages[@]}"; do
  ls "$state/debs/${p}_"*.deb >/dev/null 2>&1 || { echo "arm_gst_sysroot: $p ($arch) was not downloaded" >&2; exit 1; }
done
for deb in "$state/debs"/*.deb; do dpkg -x "$deb" "$dir"; done
echo "GStreamer sysroot for $arch in $dir ($(ls "$state/debs" | wc -l) packages)"
