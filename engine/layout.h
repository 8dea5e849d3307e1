// SPDX-License-Identifier: Apache-2.0
// Moving one image between PyTorch's layout (C, H, W) and the engine's
// (H, W, C). Tensors of another rank have one layout and are copied.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace bnn {

inline int64_t product(const std::vector<int>& shape) {
  int64_t n = 1;
  for (int d : shape) n *= d;
  return n;
}

// Copies one rank-3 tensor between the layouts; `to_hwc` picks the direction.
inline void convert_layout(const float* src, const std::vector<int>& hwc, float* dst, bool to_hwc) {
  if (hwc.size() != 3) {
    std::copy(src, src + product(hwc), dst);
    return;
  }
  const int64_t h = hwc[0], w = hwc[1], c = hwc[2];
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const int64_t chw_index = (ci * h + y) * w + x, hwc_index = (y * w + x) * c + ci;
        if (to_hwc) {
          dst[hwc_index] = src[chw_index];
        } else {
          dst[chw_index] = src[hwc_index];
        }
      }
}

inline void chw_to_hwc(const float* src, const std::vector<int>& hwc, float* dst) { convert_layout(src, hwc, dst, true); }
inline void hwc_to_chw(const float* src, const std::vector<int>& hwc, float* dst) { convert_layout(src, hwc, dst, false); }

}  // namespace bnn
