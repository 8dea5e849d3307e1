// SPDX-License-Identifier: Apache-2.0
// Reference full-precision convolution (NHWC input, OHWI weights), with the
// float output transform fused per pixel.
#pragma once

#include <cstddef>

#include "kernels/conv_geometry.h"
#include "kernels/output_transform.h"
#include "kernels/types.h"

namespace bnn {

struct Conv2DLayer {
  ConvGeometry geometry;
  const float* input = nullptr;     // [in_h][in_w][in_c]
  const float* weights = nullptr;   // [out_c][kernel_h][kernel_w][in_c / groups]
  FloatTransform transform;
  const float* residual = nullptr;  // [out_h][out_w][out_c] or null
  float* output = nullptr;          // [out_h][out_w][out_c]
};

// Output rows [row_begin, row_end). Each output is one sum in a fixed order,
// kh, then kw, then input channel, starting from 0 and skipping padded taps
// (which contribute exactly 0). Optimized variants keep this order; those
// with fused multiply-adds are checked against `rounding` kFused.
void conv2d_ref(const Conv2DLayer& layer, int row_begin, int row_end, void* scratch,
                FloatRounding rounding = FloatRounding::kSeparate);

size_t conv2d_ref_scratch_bytes(const ConvGeometry& g);

}  // namespace bnn
