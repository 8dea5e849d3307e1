// SPDX-License-Identifier: Apache-2.0
// Splitting a layer's output over a session's threads: by rows, or by
// channels (a schedule's parallel axis). Threads split outputs, never a sum,
// so every output has one reduction order whatever the thread count.
#pragma once

#include <algorithm>

#include "engine/thread_pool.h"
#include "kernels/conv_geometry.h"

namespace bnn {

// Tasks per thread: enough that a descheduled thread holds back only a small
// share (the others take the rest), few enough that per-task costs (a
// kernel's copy of the input rows its window needs) stay small.
constexpr int kTasksPerThread = 4;

// Calls fn(thread, begin, end) for contiguous, disjoint ranges covering
// [0, count), on the pool's threads; `thread` picks the caller's scratch.
template <typename Fn>
void parallel_ranges(ThreadPool& pool, int count, const Fn& fn) {
  if (pool.size() <= 1 || count < 2) {
    if (count > 0) fn(0, 0, count);
    return;
  }
  const int tasks = std::min(count, pool.size() * kTasksPerThread);
  pool.run(tasks, [&](int thread, int task) {
    const int begin = static_cast<int>(static_cast<long long>(count) * task / tasks);
    const int end = static_cast<int>(static_cast<long long>(count) * (task + 1) / tasks);
    fn(thread, begin, end);
  });
}

// Calls fn(thread, block) for disjoint output blocks covering rows
// [0, rows) x channels [0, channels). By channels, the split points are
// multiples of `channel_step` (0: the kernel cannot split channels); a layer
// with fewer channel steps than threads splits rows. Seven output rows make
// only seven tasks, which is why 7x7 layers may prefer channels.
template <typename Fn>
void parallel_blocks(ThreadPool& pool, int rows, int channels, SplitAxis axis, int channel_step, const Fn& fn) {
  const int steps = channel_step > 0 ? (channels + channel_step - 1) / channel_step : 0;
  if (axis == SplitAxis::kChannels && pool.size() > 1 && steps >= pool.size()) {
    parallel_ranges(pool, steps, [&](int t, int begin, int end) {
      fn(t, OutputBlock{0, rows, begin * channel_step, std::min(end * channel_step, channels)});
    });
    return;
  }
  parallel_ranges(pool, rows, [&](int t, int begin, int end) { fn(t, OutputBlock{begin, end, 0, channels}); });
}

}  // namespace bnn
