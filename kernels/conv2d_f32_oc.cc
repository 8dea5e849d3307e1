// SPDX-License-Identifier: Apache-2.0
#include "kernels/conv2d_f32_oc.h"

namespace bnn {

std::vector<float> conv2d_f32_oc_prepare(const Conv2DLayer& layer) {
  const ConvGeometry& g = layer.geometry;
  const int ocp = (g.out_c + kOcPad - 1) / kOcPad * kOcPad;
  std::vector<float> packed(static_cast<size_t>(g.kernel_h) * g.kernel_w * g.in_c * ocp, 0.0f);
  for (int oc = 0; oc < g.out_c; ++oc)
    for (int kh = 0; kh < g.kernel_h; ++kh)
      for (int kw = 0; kw < g.kernel_w; ++kw)
        for (int ic = 0; ic < g.in_c; ++ic) {
          packed[((static_cast<size_t>(kh) * g.kernel_w + kw) * g.in_c + ic) * ocp + oc] =
              layer.weights[((static_cast<size_t>(oc) * g.kernel_h + kh) * g.kernel_w + kw) * g.in_c + ic];
        }
  return packed;
}

size_t conv2d_f32_oc_scratch_bytes(const ConvGeometry& g) {
  // One pixel's padded channels: finish_pixel stages a partial chunk there.
  return sizeof(float) * static_cast<size_t>((g.out_c + kOcPad - 1) / kOcPad * kOcPad);
}

}  // namespace bnn
