// SPDX-License-Identifier: Apache-2.0
// Activation memory planning: one arena per session, each activation tensor at
// an offset, tensors whose lifetimes do not overlap sharing bytes.
#pragma once

#include <cstdint>
#include <vector>

namespace bnn {

// A tensor's size and the steps (inclusive) from its write to its last read.
struct BufferLifetime {
  int64_t bytes = 0;
  int first_step = 0;
  int last_step = 0;
};

struct MemoryPlan {
  std::vector<int64_t> offsets;  // one per lifetime, aligned to kAlignment
  int64_t arena_bytes = 0;
};

// Greedy by size (as TFLite's arena planner): the largest buffers are placed
// first, each at the lowest aligned offset that does not overlap a placed
// buffer alive at the same time.
MemoryPlan plan_memory(const std::vector<BufferLifetime>& buffers);

}  // namespace bnn
