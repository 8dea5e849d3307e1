// SPDX-License-Identifier: Apache-2.0
// Splitting a layer's output over a session's threads: by rows, or by
// channels (a schedule's parallel axis, or split_axis's choice for a layer
// whose schedule names none). Threads split outputs, never a sum, so every
// output has one reduction order whatever the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "engine/thread_pool.h"
#include "kernels/conv_geometry.h"
#include "kernels/registry.h"

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

// The axis a layer's outputs are split on; the engine, bnn-tune and
// bnn-bench all ask this, so that what is timed is what runs. Rows on one
// thread, or when the kernel cannot cut channels into a piece per thread;
// else the schedule's axis when it names one. Unnamed: rows, unless there are
// too few to give every thread kTasksPerThread tasks, a channel split makes
// at least as many tasks (a descheduled thread must not hold back a large
// share), and each row task would read more weight bytes than a channel task
// reads input - the 7x7 layers of a ResNet, whose 7 rows run 4:3 on two
// threads while each task streams the whole 512-channel weight matrix.
inline SplitAxis split_axis(int threads, int rows, int channel_steps, std::optional<SplitAxis> scheduled,
                            int64_t weight_bytes, int64_t input_bytes) {
  if (threads <= 1 || channel_steps < threads) return SplitAxis::kRows;
  if (scheduled) return *scheduled;
  const int row_tasks = std::min(rows, threads * kTasksPerThread);
  return rows < threads * kTasksPerThread && channel_steps >= row_tasks && weight_bytes > input_bytes
             ? SplitAxis::kChannels
             : SplitAxis::kRows;
}

// Calls fn(thread, block) for disjoint output blocks covering rows
// [0, rows) x channels [0, channels), split on `axis` (split_axis's answer).
// By channels, the split points are multiples of `channel_step` (0: the
// kernel cannot split channels).
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

// split_axis for a float and for a bitserial convolution: the bytes each
// kind reads, the kernel's channel granule.
inline int channel_steps(int channels, int channel_step) {
  return channel_step > 0 ? (channels + channel_step - 1) / channel_step : 0;
}
inline SplitAxis conv2d_split_axis(int threads, const ConvGeometry& g, const Conv2DKernel& k) {
  const int64_t weight_bytes = int64_t{g.kernel_h} * g.kernel_w * g.in_c_per_group() * g.out_c * sizeof(float);
  const int64_t input_bytes = int64_t{g.in_h} * g.in_w * g.in_c * sizeof(float);
  return split_axis(threads, g.out_h, channel_steps(g.out_c, conv2d_channel_step(k)), std::nullopt, weight_bytes,
                    input_bytes);
}
inline SplitAxis bitserial_split_axis(int threads, const BitserialConvArgs& a, int channel_step,
                                      std::optional<SplitAxis> scheduled) {
  const ConvGeometry& g = a.geometry;
  const int64_t words = (g.in_c_per_group() + 63) / 64;  // per pixel and group, each of 8 bytes
  const int64_t weight_bytes = int64_t{g.kernel_h} * g.kernel_w * words * 8 * a.weight_bits * g.out_c;
  const int64_t input_bytes = int64_t{g.in_h} * g.in_w * g.groups * words * 8 * a.act_bits;
  return split_axis(threads, g.out_h, channel_steps(g.out_c, channel_step), scheduled, weight_bytes, input_bytes);
}

// A float convolution over the pool, split as conv2d_split_axis says.
template <typename ScratchFor>
void run_conv2d(ThreadPool& pool, const Conv2DKernel& k, const Conv2DLayer& layer, const float* packed,
                const ScratchFor& scratch_for) {
  const ConvGeometry& g = layer.geometry;
  parallel_blocks(pool, g.out_h, g.out_c, conv2d_split_axis(pool.size(), g, k), conv2d_channel_step(k),
                  [&](int t, const OutputBlock& block) { k.run(layer, packed, block, scratch_for(t)); });
}

}  // namespace bnn
