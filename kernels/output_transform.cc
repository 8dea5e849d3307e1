#include "kernels/output_transform.h"

#include <cstring>

#include "kernels/bitpack.h"

namespace bnn {

void transform_to_float(const float* acc, int channels, const FloatTransform& t, const float* residual,
                        float* out) {
  for (int c = 0; c < channels; ++c) {
    float y = acc[c];
    if (t.scale) y = y * t.scale[c];
    if (t.bias) y = y + t.bias[c];
    if (residual && !t.residual_after_activation) y = y + residual[c];
    y = apply_activation(y, c, t.activation);
    if (residual && t.residual_after_activation) y = y + residual[c];
    out[c] = y;
  }
}

void transform_to_bits(const int32_t* acc, int channels, const ThresholdTransform& t, uint64_t* out) {
  const int levels = (1 << t.bits) - 1;
  const int64_t words = words_for(channels);
  std::memset(out, 0, sizeof(uint64_t) * t.bits * words);
  for (int c = 0; c < channels; ++c) {
    const int64_t dir = t.direction ? t.direction[c] : 1;
    const int32_t* thresholds = t.thresholds + static_cast<int64_t>(c) * levels;
    unsigned q = 0;
    for (int l = 0; l < levels; ++l) q += dir * acc[c] >= dir * thresholds[l];
    set_code(out, words, c, q, t.bits);
  }
}

}  // namespace bnn
