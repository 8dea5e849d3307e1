// SPDX-License-Identifier: Apache-2.0
#include "kernels/ref/conv2d.h"

#include <cmath>

namespace bnn {

size_t conv2d_ref_scratch_bytes(const ConvGeometry& g) { return sizeof(float) * g.out_c; }

void conv2d_ref(const Conv2DLayer& layer, int row_begin, int row_end, void* scratch, FloatRounding rounding) {
  const ConvGeometry& g = layer.geometry;
  const int cg = g.in_c_per_group();
  const int og = g.out_c_per_group();
  float* acc = static_cast<float*>(scratch);
  for (int oy = row_begin; oy < row_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      for (int oc = 0; oc < g.out_c; ++oc) {
        const int first_in_c = (oc / og) * cg;
        float sum = 0.0f;
        for_each_valid_tap(g, oy, ox, [&](int kh, int kw, int iy, int ix) {
          const float* x = layer.input + (static_cast<int64_t>(iy) * g.in_w + ix) * g.in_c + first_in_c;
          const float* w = layer.weights + ((static_cast<int64_t>(oc) * g.kernel_h + kh) * g.kernel_w + kw) * cg;
          if (rounding == FloatRounding::kFused) {
            for (int ic = 0; ic < cg; ++ic) sum = std::fma(x[ic], w[ic], sum);
          } else {
            for (int ic = 0; ic < cg; ++ic) sum += x[ic] * w[ic];
          }
        });
        acc[oc] = sum;
      }
      const int64_t pixel = static_cast<int64_t>(oy) * g.out_w + ox;
      const float* residual = layer.residual ? layer.residual + pixel * g.out_c : nullptr;
      transform_to_float(acc, g.out_c, layer.transform, residual, layer.output + pixel * g.out_c);
    }
  }
}

}  // namespace bnn
