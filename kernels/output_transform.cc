// SPDX-License-Identifier: Apache-2.0
#include "kernels/output_transform.h"

#include <cstring>

#include "kernels/bitpack.h"

namespace bnn {

void transform_to_float(const float* acc, int begin, int end, const FloatTransform& t, const float* residual,
                        float* out) {
  // Stage by stage, each a plain loop the compiler vectorizes; every element
  // still goes through the same operations in the same order.
  for (int c = begin; c < end; ++c) out[c] = acc[c];
  if (t.scale) {
    for (int c = begin; c < end; ++c) out[c] = out[c] * t.scale[c];
  }
  if (t.bias) {
    for (int c = begin; c < end; ++c) out[c] = out[c] + t.bias[c];
  }
  if (residual && !t.residual_after_activation) {
    for (int c = begin; c < end; ++c) out[c] = out[c] + residual[c];
  }
  const ActivationParams& a = t.activation;
  if (a.kind != ActivationKind::kNone) {
    with_activation_kind(a.kind, [&](auto kind) {
      for (int c = begin; c < end; ++c) out[c] = activate<decltype(kind)::value>(out[c], c, a);
    });
  }
  if (residual && t.residual_after_activation) {
    for (int c = begin; c < end; ++c) out[c] = out[c] + residual[c];
  }
}

void quantize_to_bits(const float* y, int channels, int begin, int end, const FusedQuantize& q, uint64_t* row) {
  if (begin >= end) return;
  const int64_t word_begin = begin / kWordBits, word_end = words_for(end);
  std::memset(row + word_begin, 0, sizeof(uint64_t) * (word_end - word_begin));
  for (int c = begin; c < end; ++c) {
    float v = y[c];
    if (q.scale) v = v * q.scale[c];
    if (q.bias) v = v + q.bias[c];
    set_code(row, words_for(channels), c, v >= q.thresholds[c], 1);
  }
}

void transform_to_bits(const int32_t* acc, int channels, int begin, int end, const ThresholdTransform& t,
                       uint64_t* out) {
  if (begin >= end) return;
  const int levels = (1 << t.bits) - 1;
  const int64_t words = words_for(channels);
  const int64_t word_begin = begin / kWordBits, word_end = words_for(end);
  for (int plane = 0; plane < t.bits; ++plane) {
    std::memset(out + plane * words + word_begin, 0, sizeof(uint64_t) * (word_end - word_begin));
  }
  for (int c = begin; c < end; ++c) {
    const int64_t dir = t.direction ? t.direction[c] : 1;
    const int32_t* thresholds = t.thresholds + static_cast<int64_t>(c) * levels;
    unsigned q = 0;
    for (int l = 0; l < levels; ++l) q += dir * acc[c] >= dir * thresholds[l];
    set_code(out, words, c, q, t.bits);
  }
}

}  // namespace bnn
