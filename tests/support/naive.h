// SPDX-License-Identifier: Apache-2.0
// Naive oracles: the obvious loops over decoded values, no bit tricks, no
// shared code with the kernels they check (except the code -> value rule,
// which is the definition).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/conv_geometry.h"
#include "kernels/types.h"

namespace bnn::test {

// Direct convolution over values in NHWC / OHWI. A padded tap has value `pad`.
template <typename T, typename Acc>
std::vector<Acc> naive_conv_hwc(const ConvGeometry& g, const std::vector<T>& x, const std::vector<T>& w, T pad) {
  std::vector<Acc> out(static_cast<size_t>(g.out_h) * g.out_w * g.out_c);
  const int cg = g.in_c / g.groups, og = g.out_c / g.groups;
  for (int oy = 0; oy < g.out_h; ++oy)
    for (int ox = 0; ox < g.out_w; ++ox)
      for (int oc = 0; oc < g.out_c; ++oc) {
        Acc sum = 0;
        for (int kh = 0; kh < g.kernel_h; ++kh)
          for (int kw = 0; kw < g.kernel_w; ++kw)
            for (int ic = 0; ic < cg; ++ic) {
              const int iy = oy * g.stride_h - g.pad_top + kh * g.dilation_h;
              const int ix = ox * g.stride_w - g.pad_left + kw * g.dilation_w;
              const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
              const T a = inside ? x[(size_t(iy) * g.in_w + ix) * g.in_c + (oc / og) * cg + ic] : pad;
              sum += Acc(a) * Acc(w[((size_t(oc) * g.kernel_h + kh) * g.kernel_w + kw) * cg + ic]);
            }
        out[(size_t(oy) * g.out_w + ox) * g.out_c + oc] = sum;
      }
  return out;
}

inline std::vector<int> code_values(const std::vector<uint8_t>& codes, int bits, Encoding e) {
  std::vector<int> v(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    v[i] = e == Encoding::kUnipolar ? codes[i] : 2 * codes[i] - ((1 << bits) - 1);
  }
  return v;
}

// Output extent, written out independently of conv_output_extent.
inline int naive_extent(int in, int pad_begin, int pad_end, int kernel, int stride, int dilation) {
  return static_cast<int>(std::floor((in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / double(stride))) + 1;
}

inline ConvGeometry make_geometry(int in_h, int in_w, int in_c, int out_c, int kernel, int stride, int pad,
                                  int dilation = 1, int groups = 1) {
  ConvGeometry g;
  g.in_h = in_h;
  g.in_w = in_w;
  g.in_c = in_c;
  g.out_c = out_c;
  g.kernel_h = g.kernel_w = kernel;
  g.stride_h = g.stride_w = stride;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = pad;
  g.dilation_h = g.dilation_w = dilation;
  g.groups = groups;
  g.out_h = naive_extent(in_h, pad, pad, kernel, stride, dilation);
  g.out_w = naive_extent(in_w, pad, pad, kernel, stride, dilation);
  return g;
}

}  // namespace bnn::test
