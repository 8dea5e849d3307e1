// The output-channel-vectorized float convolution (conv2d_f32_oc.inc), one
// instance per ISA this build compiled.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/ref/conv2d.h"

namespace bnn {

#define BNN_DECLARE_CONV2D_F32_OC(ns)                                                                      \
  namespace ns {                                                                                           \
  std::vector<float> conv2d_f32_oc_prepare(const Conv2DLayer& layer);                                      \
  void conv2d_f32_oc_run(const Conv2DLayer& layer, const float* packed, int row_begin, int row_end, void* scratch); \
  size_t conv2d_f32_oc_scratch_bytes(const ConvGeometry& g);                                               \
  }

BNN_DECLARE_CONV2D_F32_OC(portable)
#if defined(BNN_HAVE_AVX2)
BNN_DECLARE_CONV2D_F32_OC(avx2)
#endif
#if defined(BNN_HAVE_AVX512VPOPCNT)
BNN_DECLARE_CONV2D_F32_OC(avx512vpopcnt)
#endif

#undef BNN_DECLARE_CONV2D_F32_OC

}  // namespace bnn
