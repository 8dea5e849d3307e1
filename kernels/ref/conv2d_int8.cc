// SPDX-License-Identifier: Apache-2.0
#include "kernels/ref/conv2d_int8.h"

namespace bnn {

size_t conv2d_int8_ref_scratch_bytes(const ConvGeometry& g) { return sizeof(float) * g.out_c; }

void conv2d_int8_ref(const Int8ConvLayer& layer, int row_begin, int row_end, void* scratch) {
  const ConvGeometry& g = layer.geometry;
  float* acc = static_cast<float*>(scratch);
  for (int oy = row_begin; oy < row_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      for (int oc = 0; oc < g.out_c; ++oc) {
        int32_t sum = 0;
        for_each_valid_tap(g, oy, ox, [&](int kh, int kw, int iy, int ix) {
          const float* x = layer.input + (static_cast<int64_t>(iy) * g.in_w + ix) * g.in_c;
          const int8_t* w = layer.weights + ((static_cast<int64_t>(oc) * g.kernel_h + kh) * g.kernel_w + kw) * g.in_c;
          for (int ic = 0; ic < g.in_c; ++ic) sum += quantize_input(x[ic], layer.input_multiplier, layer.input_zero_point) * int32_t{w[ic]};
        });
        acc[oc] = static_cast<float>(sum);
      }
      const int64_t pixel = static_cast<int64_t>(oy) * g.out_w + ox;
      const float* residual = layer.residual ? layer.residual + pixel * g.out_c : nullptr;
      transform_to_float(acc, g.out_c, layer.transform, residual, layer.output + pixel * g.out_c);
    }
  }
}

}  // namespace bnn
