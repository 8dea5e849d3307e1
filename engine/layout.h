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

// Rows [y0, y1) of an h x w x c image, CHW -> HWC, pixel by pixel: the
// writes run in order and the reads are c sequential streams. Three
// channels, a model's usual input, get a constant inner loop. The session
// splits an input's rows over its threads (a 224x224 RGB input took about
// 90 us on one thread before the first layer).
inline void chw_to_hwc_rows(const float* src, int64_t h, int64_t w, int64_t c, int64_t y0, int64_t y1, float* dst) {
  if (c == 3) {
    const float* r = src + y0 * w;
    const float* g = r + h * w;
    const float* b = g + h * w;
    float* out = dst + y0 * w * 3;
    for (int64_t i = 0; i < (y1 - y0) * w; ++i) {
      out[3 * i] = r[i];
      out[3 * i + 1] = g[i];
      out[3 * i + 2] = b[i];
    }
    return;
  }
  for (int64_t y = y0; y < y1; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      for (int64_t ci = 0; ci < c; ++ci) dst[(y * w + x) * c + ci] = src[(ci * h + y) * w + x];
    }
  }
}

// One tensor between the layouts: rank 3 is (C, H, W) <-> (H, W, C); other
// ranks have one layout and are copied.
inline void chw_to_hwc(const float* src, const std::vector<int>& hwc, float* dst) {
  if (hwc.size() != 3) {
    std::copy(src, src + product(hwc), dst);
    return;
  }
  chw_to_hwc_rows(src, hwc[0], hwc[1], hwc[2], 0, hwc[0], dst);
}
inline void hwc_to_chw(const float* src, const std::vector<int>& hwc, float* dst) {
  if (hwc.size() != 3) {
    std::copy(src, src + product(hwc), dst);
    return;
  }
  const int64_t h = hwc[0], w = hwc[1], c = hwc[2];
  for (int64_t ci = 0; ci < c; ++ci) {
    for (int64_t i = 0; i < h * w; ++i) dst[ci * h * w + i] = src[i * c + ci];
  }
}

}  // namespace bnn
