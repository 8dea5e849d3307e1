// SPDX-License-Identifier: Apache-2.0
#include "engine/memory_plan.h"

#include <algorithm>
#include <numeric>

#include "engine/aligned_buffer.h"

namespace bnn {

MemoryPlan plan_memory(const std::vector<BufferLifetime>& buffers) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  // Stable, so equal sizes keep index order and the plan is deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });

  std::vector<size_t> placed;
  for (size_t i : order) {
    const BufferLifetime& b = buffers[i];
    // Placed buffers alive at the same time as b, by offset.
    std::vector<size_t> conflicts;
    for (size_t j : placed) {
      if (buffers[j].first_step <= b.last_step && b.first_step <= buffers[j].last_step) conflicts.push_back(j);
    }
    std::sort(conflicts.begin(), conflicts.end(), [&](size_t x, size_t y) { return plan.offsets[x] < plan.offsets[y]; });
    int64_t offset = 0;
    for (size_t j : conflicts) {
      if (offset + b.bytes <= plan.offsets[j]) break;  // fits in the gap before j
      offset = std::max(offset, align_up(plan.offsets[j] + buffers[j].bytes));
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, align_up(offset + b.bytes));
    placed.push_back(i);
  }
  return plan;
}

}  // namespace bnn
