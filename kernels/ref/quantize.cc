// SPDX-License-Identifier: Apache-2.0
#include "kernels/ref/quantize.h"

#include <cstring>

#include "kernels/bitpack.h"

namespace bnn {

void quantize_ref(const float* x, int64_t rows, int channels, const float* scale, const float* bias,
                  const float* thresholds, int bits, uint64_t* packed) {
  const int levels = (1 << bits) - 1;
  const int64_t words = words_for(channels);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * channels;
    uint64_t* planes = packed + r * bits * words;
    std::memset(planes, 0, sizeof(uint64_t) * bits * words);
    for (int c = 0; c < channels; ++c) {
      float y = row[c];
      if (scale) y = y * scale[c];
      if (bias) y = y + bias[c];
      unsigned q = 0;
      for (int l = 0; l < levels; ++l) q += y >= thresholds[c * levels + l];
      set_code(planes, words, c, q, bits);
    }
  }
}

}  // namespace bnn
