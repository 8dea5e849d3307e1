// SPDX-License-Identifier: Apache-2.0
// What happens to a layer's accumulator before it is stored: Larq's "output
// transform", as small separate types so the convolution loops stay about
// convolution.
//
// Float mode (FloatTransform), per channel c:
//   y = acc * scale[c] + bias[c]            (absent scale: no multiply; absent bias: no add)
//   y = act(y + residual)   or   y = act(y) + residual   (residual_after_activation)
// Each operation rounds to float32 on its own (the build sets -ffp-contract=off),
// so the result is the same bits on every ISA. Integer accumulators of bitserial
// layers convert to float exactly: the validator keeps |acc| below 2^24.
//
// Threshold mode (ThresholdTransform): an integer accumulator becomes a k-bit
// code directly, q = #{ l : dir[c] * acc >= dir[c] * T[c][l] }. Why this is exact:
// batchnorm followed by a monotone quantizer f is a monotone function of the
// integer accumulator; it is increasing when the batchnorm scale is positive
// and decreasing when it is negative. Each of the 2^k - 1 steps of f is then
// crossed at one integer point T, found by the converter by evaluating the
// float expression itself at the integers next to the real-valued boundary.
// Counting thresholds (not searching sorted ones) makes the order of T
// irrelevant and keeps the rule one line for both directions.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/types.h"

namespace bnn {

struct ActivationParams {
  ActivationKind kind = ActivationKind::kNone;
  const float* slope = nullptr;      // [C]: PReLU, RPReLU
  const float* shift_in = nullptr;   // [C]: RPReLU
  const float* shift_out = nullptr;  // [C]: RPReLU
  float min_value = -1.0f;           // HardTanh
  float max_value = 1.0f;
};

struct FloatTransform {
  const float* scale = nullptr;  // [C] or null
  const float* bias = nullptr;   // [C] or null
  bool residual_after_activation = false;
  ActivationParams activation;
};

// A float output also quantized to one bit for the layer that reads it next
// (the engine fuses a one-bit Quantize into the layer producing its input, so
// the float tensor is not read again): bit c is set when
// y * scale[c] + bias[c] >= thresholds[c], y the stored float output, each
// operation rounding on its own. Exactly quantize_ref's rule with bits = 1.
struct FusedQuantize {
  const float* scale = nullptr;       // [C] or null
  const float* bias = nullptr;        // [C] or null
  const float* thresholds = nullptr;  // [C]
  uint64_t* packed = nullptr;         // [pixels][words_for(C)], or null: nothing fused
};

struct ThresholdTransform {
  const int32_t* thresholds = nullptr;  // [C][2^bits - 1]
  const int8_t* direction = nullptr;    // [C] of +1/-1, or null for all +1
  int bits = 1;
};

// The activation of channel c, its kind a compile-time constant: a loop over
// channels with it vectorizes (a switch per element keeps it scalar).
template <ActivationKind kKind>
inline float activate(float x, int c, const ActivationParams& a) {
  if constexpr (kKind == ActivationKind::kNone) {
    return x;
  } else if constexpr (kKind == ActivationKind::kRelu) {
    return x < 0.0f ? 0.0f : x;  // NaN stays NaN, as in PyTorch
  } else if constexpr (kKind == ActivationKind::kPrelu) {
    return x >= 0.0f ? x : a.slope[c] * x;
  } else if constexpr (kKind == ActivationKind::kRprelu) {
    const float shifted = x - a.shift_in[c];
    const float y = shifted >= 0.0f ? shifted : a.slope[c] * shifted;
    return y + a.shift_out[c];
  } else {
    static_assert(kKind == ActivationKind::kHardtanh);
    return x < a.min_value ? a.min_value : (x > a.max_value ? a.max_value : x);
  }
}

// Calls f(std::integral_constant<ActivationKind, kind>{}): one dispatch on
// the kind outside a loop that then uses activate<decltype(k)::value>.
template <typename F>
inline void with_activation_kind(ActivationKind kind, F&& f) {
  switch (kind) {
    case ActivationKind::kNone: return f(std::integral_constant<ActivationKind, ActivationKind::kNone>{});
    case ActivationKind::kRelu: return f(std::integral_constant<ActivationKind, ActivationKind::kRelu>{});
    case ActivationKind::kPrelu: return f(std::integral_constant<ActivationKind, ActivationKind::kPrelu>{});
    case ActivationKind::kRprelu: return f(std::integral_constant<ActivationKind, ActivationKind::kRprelu>{});
    case ActivationKind::kHardtanh: return f(std::integral_constant<ActivationKind, ActivationKind::kHardtanh>{});
  }
}

inline float apply_activation(float x, int c, const ActivationParams& a) {
  float y = x;
  with_activation_kind(a.kind, [&](auto kind) { y = activate<decltype(kind)::value>(x, c, a); });
  return y;
}

// One pixel, channels [begin, end): acc[c] -> out[c], the other channels
// untouched (a channel-parallel split gives each thread its own range).
// `residual` is that pixel's residual row or null; all three are indexed by
// the channel itself. `out` may be `residual` or `acc` (a chunk reads both
// before it writes `out`).
void transform_to_float(const float* acc, int begin, int end, const FloatTransform& t, const float* residual,
                        float* out);
inline void transform_to_float(const float* acc, int channels, const FloatTransform& t, const float* residual,
                               float* out) {
  transform_to_float(acc, 0, channels, t, residual, out);
}

// Channels [begin, end) of one pixel's float output `y` into its packed row
// of the fused quantize; the words covering them are rewritten whole, so
// begin (and end, unless it is `channels`) must be multiples of 64 when two
// ranges of one pixel run concurrently.
void quantize_to_bits(const float* y, int channels, int begin, int end, const FusedQuantize& q, uint64_t* row);

// One pixel, channels [begin, end) of `channels`: acc[c] -> code c of `bits`
// planes of words_for(channels) words. Only the words holding those channels
// are written, so begin (and end, unless it is `channels`) must be multiples
// of 64 when two ranges of one pixel run concurrently.
void transform_to_bits(const int32_t* acc, int channels, int begin, int end, const ThresholdTransform& t,
                       uint64_t* out);
inline void transform_to_bits(const int32_t* acc, int channels, const ThresholdTransform& t, uint64_t* out) {
  transform_to_bits(acc, channels, 0, channels, t, out);
}

}  // namespace bnn
