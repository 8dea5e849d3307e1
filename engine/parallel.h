// Splitting a layer's output over threads: by rows, or by channels (a
// schedule's parallel axis). Threads split outputs, never a sum, so every
// output has one reduction order whatever the thread count.
#pragma once

#include <algorithm>

#include "kernels/conv_geometry.h"

namespace bnn {

int current_thread();
int team_size();

// Calls fn(thread, row_begin, row_end) on `threads` threads with contiguous,
// disjoint row ranges covering [0, rows).
template <typename Fn>
void parallel_rows(int threads, int rows, const Fn& fn) {
  if (threads <= 1 || rows < 2) {
    fn(0, 0, rows);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = current_thread(), n = team_size();
    const int begin = static_cast<int>(static_cast<long long>(rows) * t / n);
    const int end = static_cast<int>(static_cast<long long>(rows) * (t + 1) / n);
    if (begin < end) fn(t, begin, end);
  }
}

// Calls fn(thread, block) on `threads` threads with disjoint output blocks
// covering rows [0, rows) x channels [0, channels). By channels, the split
// points are multiples of `channel_step` (0: the kernel cannot split
// channels); a layer with fewer channel steps than threads splits rows.
// Seven output rows on two threads split 4:3 (57% on one thread); 512
// channels split 256:256, which is why 7x7 layers may prefer channels.
template <typename Fn>
void parallel_blocks(int threads, int rows, int channels, SplitAxis axis, int channel_step, const Fn& fn) {
  const int steps = channel_step > 0 ? (channels + channel_step - 1) / channel_step : 0;
  if (axis == SplitAxis::kChannels && threads > 1 && steps >= threads) {
    parallel_rows(threads, steps, [&](int t, int begin, int end) {
      fn(t, OutputBlock{0, rows, begin * channel_step, std::min(end * channel_step, channels)});
    });
    return;
  }
  parallel_rows(threads, rows, [&](int t, int begin, int end) { fn(t, OutputBlock{begin, end, 0, channels}); });
}

}  // namespace bnn
