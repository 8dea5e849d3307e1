// SPDX-License-Identifier: Apache-2.0
#include "kernels/ref/pool.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "kernels/bitpack.h"

namespace bnn {

void max_pool_float_ref(const ConvGeometry& g, const float* input, float* output, int row_begin, int row_end) {
  const int c_count = g.out_c;
  for (int oy = row_begin; oy < row_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      float* out = output + (static_cast<int64_t>(oy) * g.out_w + ox) * c_count;
      std::fill(out, out + c_count, -std::numeric_limits<float>::infinity());
      for_each_valid_tap(g, oy, ox, [&](int, int, int iy, int ix) {
        const float* x = input + (static_cast<int64_t>(iy) * g.in_w + ix) * c_count;
        // NaN propagates, as in PyTorch: a NaN tap wins the comparison below.
        for (int c = 0; c < c_count; ++c) out[c] = (x[c] > out[c] || x[c] != x[c]) ? x[c] : out[c];
      });
    }
  }
}

void avg_pool_float_ref(const ConvGeometry& g, bool count_include_pad, const float* input, float* output,
                        int row_begin, int row_end) {
  const int c_count = g.out_c;
  for (int oy = row_begin; oy < row_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int y0 = g.in_y0(oy), x0 = g.in_x0(ox);
      const int y1 = std::min(y0 + g.kernel_h, g.in_h + g.pad_bottom);
      const int x1 = std::min(x0 + g.kernel_w, g.in_w + g.pad_right);
      const int padded_taps = (y1 - y0) * (x1 - x0);
      const int vy0 = std::max(y0, 0), vx0 = std::max(x0, 0);
      const int vy1 = std::min(y1, g.in_h), vx1 = std::min(x1, g.in_w);
      const int valid_taps = std::max(vy1 - vy0, 0) * std::max(vx1 - vx0, 0);
      const float divisor = static_cast<float>(count_include_pad ? padded_taps : valid_taps);
      float* out = output + (static_cast<int64_t>(oy) * g.out_w + ox) * c_count;
      // Each channel's sum in tap order, the channels side by side (so the
      // loop vectorizes over channels and reads whole pixels).
      std::fill(out, out + c_count, 0.0f);
      for (int iy = vy0; iy < vy1; ++iy) {
        for (int ix = vx0; ix < vx1; ++ix) {
          const float* x = input + (static_cast<int64_t>(iy) * g.in_w + ix) * c_count;
          for (int c = 0; c < c_count; ++c) out[c] += x[c];
        }
      }
      for (int c = 0; c < c_count; ++c) out[c] = out[c] / divisor;
    }
  }
}

size_t max_pool_packed_ref_scratch_bytes(const ConvGeometry& g) { return 2 * static_cast<size_t>(g.out_c); }

void max_pool_packed_ref(const ConvGeometry& g, int bits, const uint64_t* input, uint64_t* output, void* scratch) {
  const int c_count = g.out_c;
  const int64_t pixel_words = packed_row_words(c_count, bits);
  uint8_t* best = static_cast<uint8_t*>(scratch);
  uint8_t* tap = best + c_count;
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      std::memset(best, 0, c_count);  // code 0 is the smallest value
      for_each_valid_tap(g, oy, ox, [&](int, int, int iy, int ix) {
        unpack_codes(input + (static_cast<int64_t>(iy) * g.in_w + ix) * pixel_words, 1, c_count, bits, tap);
        for (int c = 0; c < c_count; ++c) best[c] = std::max(best[c], tap[c]);
      });
      pack_codes(best, 1, c_count, bits, output + (static_cast<int64_t>(oy) * g.out_w + ox) * pixel_words);
    }
  }
}

void max_pool_1bit_or(const ConvGeometry& g, const uint64_t* input, uint64_t* output) {
  const int64_t words = words_for(g.out_c);
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      uint64_t* out = output + (static_cast<int64_t>(oy) * g.out_w + ox) * words;
      std::memset(out, 0, sizeof(uint64_t) * words);
      for_each_valid_tap(g, oy, ox, [&](int, int, int iy, int ix) {
        const uint64_t* in = input + (static_cast<int64_t>(iy) * g.in_w + ix) * words;
        for (int64_t k = 0; k < words; ++k) out[k] |= in[k];
      });
    }
  }
}

void global_avg_pool_ref(const float* input, int64_t pixels, int channels, float* output) {
  // Each channel's sum in pixel order, channels side by side.
  std::fill(output, output + channels, 0.0f);
  for (int64_t p = 0; p < pixels; ++p) {
    for (int c = 0; c < channels; ++c) output[c] += input[p * channels + c];
  }
  for (int c = 0; c < channels; ++c) output[c] = output[c] / static_cast<float>(pixels);
}

}  // namespace bnn
