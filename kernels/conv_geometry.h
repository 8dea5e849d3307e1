// SPDX-License-Identifier: Apache-2.0
// The geometry of a 2-D convolution or pooling window over one NHWC image.
#pragma once

#include <cstdint>

namespace bnn {

struct ConvGeometry {
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;

  int in_c_per_group() const { return in_c / groups; }
  int out_c_per_group() const { return out_c / groups; }
  // First input row/column a window starts at (may be negative: padding).
  int in_y0(int oy) const { return oy * stride_h - pad_top; }
  int in_x0(int ox) const { return ox * stride_w - pad_left; }
  // Whether input position (iy, ix) is inside the input (not padding).
  bool inside(int iy, int ix) const { return iy >= 0 && iy < in_h && ix >= 0 && ix < in_w; }
};

// The block of a layer's output one kernel call computes: output rows
// [row_begin, row_end) x output channels [channel_begin, channel_end). Threads
// split a layer into disjoint blocks (rows, or channels: a schedule's
// parallel axis); every output is still one sum in one order.
struct OutputBlock {
  int row_begin = 0, row_end = 0;
  int channel_begin = 0, channel_end = 0;
};
enum class SplitAxis { kRows, kChannels };

// Calls fn(kh, kw, iy, ix) for each tap of output pixel (oy, ox) inside the input, in
// kh-then-kw order: the window walk every reference kernel shares. (ISA-flagged
// files compute taps inline instead: they call no shared inline function.)
template <typename Fn>
void for_each_valid_tap(const ConvGeometry& g, int oy, int ox, const Fn& fn) {
  for (int kh = 0; kh < g.kernel_h; ++kh) {
    const int iy = g.in_y0(oy) + kh * g.dilation_h;
    if (iy < 0 || iy >= g.in_h) continue;
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      const int ix = g.in_x0(ox) + kw * g.dilation_w;
      if (ix >= 0 && ix < g.in_w) fn(kh, kw, iy, ix);
    }
  }
}

// Output extent of a window sweep, PyTorch/ONNX floor rule:
// (in + pads - dilation * (kernel - 1) - 1) / stride + 1. Returns <= 0 when the
// window does not fit. Computed in 64 bits: every argument may come from a file.
inline int64_t conv_output_extent(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel,
                                  int64_t stride, int64_t dilation) {
  const int64_t span = in + pad_begin + pad_end - dilation * (kernel - 1) - 1;
  if (span < 0 || stride <= 0) return 0;
  return span / stride + 1;
}

// Pooling extent. Floor mode is conv_output_extent; ceil mode (PyTorch's
// ceil_mode=True) adds one window when the division leaves a remainder and that
// window starts inside the input or its leading pad.
inline int64_t pool_output_extent(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel, int64_t stride,
                                  int64_t dilation, bool ceil_mode) {
  int64_t out = conv_output_extent(in, pad_begin, pad_end, kernel, stride, dilation);
  const int64_t span = in + pad_begin + pad_end - dilation * (kernel - 1) - 1;
  if (ceil_mode && out > 0 && span % stride != 0 && out * stride < in + pad_begin) out += 1;
  return out;
}

}  // namespace bnn
