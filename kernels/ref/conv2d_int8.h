// SPDX-License-Identifier: Apache-2.0
// Reference int8 convolution (the Int8Conv2D layer of bnn.fbs): a float input
// quantized per tensor, int8 OHWI weights, an exact int32 sum, then the float
// output transform. The specification every int8 kernel is tested against.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/conv_geometry.h"
#include "kernels/output_transform.h"

namespace bnn {

struct Int8ConvLayer {
  ConvGeometry geometry;               // groups 1
  const float* input = nullptr;        // [in_h][in_w][in_c]
  const int8_t* weights = nullptr;     // [out_c][kernel_h][kernel_w][in_c], each in [-127, 127]
  float input_multiplier = 0.0f;       // 1 / input_scale, rounded to float32 once
  int input_zero_point = 0;            // 0 to 255
  FloatTransform transform;            // scale = input_scale x weight scale [x float scale]
  const float* residual = nullptr;     // [out_h][out_w][out_c] or null
  float* output = nullptr;             // [out_h][out_w][out_c]
};

// One input element's value s (its uint8 code less the zero point): round
// half to even of x * multiplier clamped to [-zero_point, 255 - zero_point];
// NaN is 0. The clamp comes first, so rounding is exact with the 1.5 * 2^23
// trick on every ISA (no rounding-mode dependence).
inline int quantize_input(float x, float multiplier, int zero_point) {
  float v = x * multiplier;
  if (v != v) return 0;
  const float lo = static_cast<float>(-zero_point), hi = static_cast<float>(255 - zero_point);
  v = v < lo ? lo : (v > hi ? hi : v);
  const float rounded = (v + 12582912.0f) - 12582912.0f;  // -ffp-contract=off: two roundings, the second exact
  return static_cast<int>(rounded);
}

// Output rows [row_begin, row_end): acc = sum over taps inside the input (a
// padded tap is 0) of s x weight, in int32 (exact: |acc| <= taps x 255 x
// 127), then transform_to_float of float(acc).
void conv2d_int8_ref(const Int8ConvLayer& layer, int row_begin, int row_end, void* scratch);

size_t conv2d_int8_ref_scratch_bytes(const ConvGeometry& g);

}  // namespace bnn
