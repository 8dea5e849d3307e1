#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CI stage: the fast tier under AddressSanitizer + UndefinedBehaviorSanitizer,
# built with clang-14 and -DBNN_FUZZ=ON so that the fuzzing stage runs its
# libFuzzer targets from this same build (one instrumented build, not two:
# each takes minutes on 2 cores). The parity suite runs here too, so
# bnn-convert and bnn-run run instrumented on real models. frames.swscale
# is left to the native stage: it is hundreds of ffmpeg runs (46 s here,
# the stage's last test) around a few frame conversions, whose memory
# safety frames.c_api and the frame fuzzer already check under ASan.
set -uo pipefail
cd "$(dirname "$0")/.."
apt-get install -y -qq clang-14 libfuzzer-14-dev libclang-rt-14-dev libomp-14-dev >/dev/null || exit 1
CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -DBNN_FUZZ=ON -DBNN_BUILD_TESTS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build build-asan -j2 || exit 1
ctest --test-dir build-asan -j2 -LE slow -E '^frames\.swscale$' --output-on-failure
