#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CI stage: the multi-threaded suites (engine, kernels, and contexts on one
# model from several threads, with the bundled model the first stage built) under ThreadSanitizer,
# built with clang-14. The engine's threads are its own pool (engine/thread_pool.h)
# on std::thread, which TSan understands without help. Fast tier.
set -uo pipefail
cd "$(dirname "$0")/.."
apt-get install -y -qq clang-14 >/dev/null || exit 1
bundled=()
[ -f build/models/fashion_bnn.bnn ] && bundled=(-DBNN_BUNDLED_MODEL="$PWD/build/models/fashion_bnn.bnn")
CC=clang-14 CXX=clang++-14 cmake -S . -B build-tsan -DBNN_SANITIZE=thread -DBNN_BUILD_CONVERTER=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${bundled[@]}" >/dev/null || exit 1
cmake --build build-tsan -j2 || exit 1
TSAN_OPTIONS="halt_on_error=1" \
  ctest --test-dir build-tsan -LE slow -R 'engine_tests|kernel_tests|frames.threads|frames.c_api' --output-on-failure
