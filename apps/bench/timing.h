// SPDX-License-Identifier: Apache-2.0
// Timing for benchmarks and tuning: a warm-up, then repeats until enough time
// has passed, median and p90 reported. Never used in tests.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace bnn::bench {

struct Timing {
  double median_ms = 0, p90_ms = 0;
  double mean_ms = 0, std_ms = 0, min_ms = 0, max_ms = 0;
  int runs = 0;
};

// How long to time: at least min_runs runs and min_seconds.
struct TimingBudget {
  int min_runs = 5;
  double min_seconds = 0.2;
};

// Runs fn() `warmup` times to warm caches, then at least `min_runs` times and
// until `min_seconds` have passed (at most `max_runs`).
template <typename Fn>
Timing measure(const Fn& fn, int min_runs = 5, double min_seconds = 0.2, int max_runs = 1000, int warmup = 2) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> ms;
  const auto start = clock::now();
  while (static_cast<int>(ms.size()) < max_runs &&
         (static_cast<int>(ms.size()) < min_runs ||
          std::chrono::duration<double>(clock::now() - start).count() < min_seconds)) {
    const auto t0 = clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  Timing t;
  t.runs = static_cast<int>(ms.size());
  t.median_ms = ms[ms.size() / 2];
  t.p90_ms = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  t.min_ms = ms.front();
  t.max_ms = ms.back();
  double sum = 0, squares = 0;
  for (double v : ms) sum += v;
  t.mean_ms = sum / ms.size();
  for (double v : ms) squares += (v - t.mean_ms) * (v - t.mean_ms);
  t.std_ms = ms.size() > 1 ? std::sqrt(squares / (ms.size() - 1)) : 0;
  return t;
}

}  // namespace bnn::bench
