// SPDX-License-Identifier: Apache-2.0
#include "kernels/conv2d_int8.h"

namespace bnn {

std::shared_ptr<const Int8ConvPlan> conv2d_int8_prepare(const Int8ConvLayer& layer, const Int8ConvLayout& layout) {
  const ConvGeometry& g = layer.geometry;
  auto plan = std::make_shared<Int8ConvPlan>();
  plan->layout = layout;
  const int G = layout.group, V = layout.vec_oc;
  plan->cin_pad = (g.in_c + G - 1) / G * G;
  plan->ocp = (g.out_c + V - 1) / V * V;
  const int cin_groups = plan->cin_pad / G;
  plan->k_groups = g.kernel_h * g.kernel_w * cin_groups;
  plan->band_width = (g.out_w - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1;
  plan->band_rows = (kInt8BandRows - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1;
  for (int kh = 0; kh < g.kernel_h; ++kh) {
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      for (int cg = 0; cg < cin_groups; ++cg) {
        plan->offsets.push_back(
            (kh * g.dilation_h * plan->band_width + kw * g.dilation_w) * plan->cin_pad + cg * G);
      }
    }
  }
  const size_t count = static_cast<size_t>(plan->ocp) * plan->k_groups * G;
  std::vector<int16_t> packed(count, 0);
  plan->acc_init.assign(plan->ocp, 0);
  for (int oc = 0; oc < g.out_c; ++oc) {
    int32_t sum = 0;
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        for (int ic = 0; ic < g.in_c; ++ic) {
          const int8_t w = layer.weights[((static_cast<int64_t>(oc) * g.kernel_h + kh) * g.kernel_w + kw) * g.in_c + ic];
          const int k = (kh * g.kernel_w + kw) * cin_groups + ic / G;
          packed[((static_cast<size_t>(oc / V) * plan->k_groups + k) * V + oc % V) * G + ic % G] = w;
          sum += w;
        }
      }
    }
    if (layout.biased) plan->acc_init[oc] = -(layer.input_zero_point + layout.code_shift) * sum;
  }
  if (layout.biased) {
    plan->weights8.assign(packed.begin(), packed.end());
  } else {
    plan->weights16 = std::move(packed);
  }
  return plan;
}

size_t conv2d_int8_scratch_bytes(const ConvGeometry& g, const Int8ConvPlan& plan) {
  const size_t element = plan.layout.biased ? 1 : 2;
  const size_t band = static_cast<size_t>(plan.band_rows) * plan.band_width * plan.cin_pad * element;
  const size_t row = static_cast<size_t>(g.in_w) * g.in_c * sizeof(int32_t);  // one input row's codes
  const size_t tile = static_cast<size_t>(plan.ocp) * sizeof(float);            // one pixel through the transform
  return (band + 63) / 64 * 64 + (row + 63) / 64 * 64 + tile + 64;
}

}  // namespace bnn
