// SPDX-License-Identifier: Apache-2.0
#include "kernels/output_transform.h"

#include <algorithm>
#include <cstring>

#include "kernels/bitpack.h"

namespace bnn {

void transform_to_float(const float* acc, int begin, int end, const FloatTransform& t, const float* residual,
                        float* out) {
  // Stage by stage over chunks of a local buffer, each stage a plain loop the
  // compiler vectorizes; every element still goes through the same
  // operations in the same order. The chunk reads its residual before it
  // writes `out`, so `out` may be `residual` itself (the engine writes a
  // residual block's output over its input when nothing reads that later).
  constexpr int kChunk = 64;
  float y[kChunk];
  const ActivationParams& a = t.activation;
  for (int c0 = begin; c0 < end; c0 += kChunk) {
    const int n = std::min(kChunk, end - c0);
    for (int i = 0; i < n; ++i) y[i] = acc[c0 + i];
    if (t.scale) {
      for (int i = 0; i < n; ++i) y[i] = y[i] * t.scale[c0 + i];
    }
    if (t.bias) {
      for (int i = 0; i < n; ++i) y[i] = y[i] + t.bias[c0 + i];
    }
    if (residual && !t.residual_after_activation) {
      for (int i = 0; i < n; ++i) y[i] = y[i] + residual[c0 + i];
    }
    if (a.kind != ActivationKind::kNone) {
      with_activation_kind(a.kind, [&](auto kind) {
        for (int i = 0; i < n; ++i) y[i] = activate<decltype(kind)::value>(y[i], c0 + i, a);
      });
    }
    if (residual && t.residual_after_activation) {
      for (int i = 0; i < n; ++i) y[i] = y[i] + residual[c0 + i];
    }
    for (int i = 0; i < n; ++i) out[c0 + i] = y[i];
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
