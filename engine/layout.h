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

inline void chw_to_hwc(const float* src, const std::vector<int>& hwc, float* dst) {
  if (hwc.size() != 3) {
    std::copy(src, src + product(hwc), dst);
    return;
  }
  const int64_t h = hwc[0], w = hwc[1], c = hwc[2];
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) dst[(y * w + x) * c + ci] = src[(ci * h + y) * w + x];
}

inline void hwc_to_chw(const float* src, const std::vector<int>& hwc, float* dst) {
  if (hwc.size() != 3) {
    std::copy(src, src + product(hwc), dst);
    return;
  }
  const int64_t h = hwc[0], w = hwc[1], c = hwc[2];
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) dst[(ci * h + y) * w + x] = src[(y * w + x) * c + ci];
}

}  // namespace bnn
