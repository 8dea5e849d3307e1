// SPDX-License-Identifier: Apache-2.0
// The output-channel-vectorized float convolution: weight packing (portable,
// conv2d_f32_oc.cc) and one run function per ISA this build compiled
// (conv2d_f32_oc.inc included with that ISA's flags).
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/ref/conv2d.h"

namespace bnn {

// Output channels per vector chunk; the packed weights pad out_c to it.
constexpr int kOcPad = 16;

// OHWI weights -> [kh][kw][ic][oc padded to kOcPad].
std::vector<float> conv2d_f32_oc_prepare(const Conv2DLayer& layer);
size_t conv2d_f32_oc_scratch_bytes(const ConvGeometry& g);

#define BNN_DECLARE_CONV2D_F32_OC(ns)                                                                          \
  namespace ns {                                                                                               \
  void conv2d_f32_oc_run_16x4(const Conv2DLayer& layer, const float* packed, const OutputBlock& block, void* scratch); \
  void conv2d_f32_oc_run_32x4(const Conv2DLayer& layer, const float* packed, const OutputBlock& block, void* scratch); \
  void conv2d_f32_oc_run_64x4(const Conv2DLayer& layer, const float* packed, const OutputBlock& block, void* scratch); \
  void conv2d_f32_oc_run_16x6(const Conv2DLayer& layer, const float* packed, const OutputBlock& block, void* scratch); \
  void conv2d_f32_oc_run_16x8(const Conv2DLayer& layer, const float* packed, const OutputBlock& block, void* scratch); \
  void conv2d_f32_oc_run_32x8(const Conv2DLayer& layer, const float* packed, const OutputBlock& block, void* scratch); \
  }

BNN_DECLARE_CONV2D_F32_OC(portable)
#if defined(BNN_HAVE_AVX2)
BNN_DECLARE_CONV2D_F32_OC(avx2)
#endif
#if defined(BNN_HAVE_AVX512F)
BNN_DECLARE_CONV2D_F32_OC(avx512f)
namespace avx512f {
void conv2d_f32_oc_run_64x6(const Conv2DLayer& layer, const float* packed, const OutputBlock& block, void* scratch);
}
#endif

#undef BNN_DECLARE_CONV2D_F32_OC

}  // namespace bnn
