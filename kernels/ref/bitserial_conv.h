// SPDX-License-Identifier: Apache-2.0
// Reference bitserial convolution: the specification every optimized variant
// is tested against. Plain loops over 64-bit words, written to be read.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/conv_geometry.h"
#include "kernels/output_transform.h"
#include "kernels/types.h"

namespace bnn {

struct BitserialConvArgs {
  ConvGeometry geometry;
  const uint64_t* input = nullptr;    // packed [in_h][in_w] rows of act_bits planes
  int act_bits = 1;
  Encoding act_encoding = Encoding::kBipolar;
  const uint64_t* weights = nullptr;  // packed [out_c][kernel_h][kernel_w] rows of weight_bits planes
  int weight_bits = 1;
  Encoding weight_encoding = Encoding::kBipolar;
  PadValue pad_value = PadValue::kZero;
};

// A whole layer: the convolution and its output transform, fused per pixel.
// Exactly one output is set: float (with an optional residual of the output's
// shape) or packed bits.
struct BitserialConvLayer {
  BitserialConvArgs conv;
  FloatTransform to_float;
  const float* residual = nullptr;  // [out_h][out_w][out_c] or null
  float* out_float = nullptr;       // [out_h][out_w][out_c]
  ThresholdTransform to_bits;
  uint64_t* out_packed = nullptr;   // [out_h][out_w] rows of to_bits.bits planes
  FusedQuantize quantize;           // with out_float: also the next layer's one-bit input, or nothing
};

// Sum over n channels of the weight values of one tap (`bits` planes of
// `words` words): what a tap whose every activation is the value 1 contributes.
int64_t weight_tap_sum(const uint64_t* w, int64_t words, int n, int bits, Encoding we);

// The exact integer accumulators of output pixel (oy, ox), all out_c channels.
// `scratch` holds bitserial_conv2d_ref_scratch_bytes() bytes.
void bitserial_conv_pixel_ref(const BitserialConvArgs& a, int oy, int ox, int32_t* acc, uint64_t* scratch);

// Stores channels [begin, end) of one output pixel from its exact
// accumulators (indexed by channel): threshold to packed bits, or the float
// transform (with the pixel's residual). `acc_f` holds out_c floats of
// scratch. Shared by every bitserial kernel, so all store alike.
void store_bitserial_pixel(const BitserialConvLayer& layer, int64_t pixel, int begin, int end, const int32_t* acc,
                           float* acc_f);

// Output rows [row_begin, row_end) of a layer.
void bitserial_conv2d_ref(const BitserialConvLayer& layer, int row_begin, int row_end, void* scratch);

size_t bitserial_conv2d_ref_scratch_bytes(const ConvGeometry& g, int act_bits);

}  // namespace bnn
