#include "kernels/output_transform.h"

#include <cstring>

#include "kernels/bitpack.h"

namespace bnn {

void transform_to_float(const float* acc, int channels, const FloatTransform& t, const float* residual,
                        float* out) {
  // Stage by stage, each a plain loop the compiler vectorizes; every element
  // still goes through the same operations in the same order.
  for (int c = 0; c < channels; ++c) out[c] = acc[c];
  if (t.scale) {
    for (int c = 0; c < channels; ++c) out[c] = out[c] * t.scale[c];
  }
  if (t.bias) {
    for (int c = 0; c < channels; ++c) out[c] = out[c] + t.bias[c];
  }
  if (residual && !t.residual_after_activation) {
    for (int c = 0; c < channels; ++c) out[c] = out[c] + residual[c];
  }
  const ActivationParams& a = t.activation;
  switch (a.kind) {
    case ActivationKind::kNone: break;
    case ActivationKind::kRelu:
      for (int c = 0; c < channels; ++c) out[c] = out[c] < 0.0f ? 0.0f : out[c];
      break;
    default:
      for (int c = 0; c < channels; ++c) out[c] = apply_activation(out[c], c, a);
      break;
  }
  if (residual && t.residual_after_activation) {
    for (int c = 0; c < channels; ++c) out[c] = out[c] + residual[c];
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
