// SPDX-License-Identifier: Apache-2.0
// Float pooling vectorized across channels, one set per ISA this build
// compiled (pool_f32.inc included with that ISA's flags). Same operations in
// the same order per channel as the references in ref/pool.h: the same bits.
#pragma once

#include <cstdint>

#include "kernels/conv_geometry.h"

namespace bnn {

#define BNN_DECLARE_POOL_F32(ns)                                                                   \
  namespace ns {                                                                                   \
  void max_pool_f32(const ConvGeometry& g, const float* input, float* output, int row_begin, int row_end); \
  void avg_pool_f32(const ConvGeometry& g, bool count_include_pad, const float* input, float* output,      \
                    int row_begin, int row_end);                                                          \
  void global_avg_pool_f32(const float* input, int64_t pixels, int channels, float* output);      \
  }

BNN_DECLARE_POOL_F32(portable)
#if defined(BNN_HAVE_AVX2)
BNN_DECLARE_POOL_F32(avx2)
#endif
#if defined(BNN_HAVE_AVX512F)
BNN_DECLARE_POOL_F32(avx512f)
#endif

#undef BNN_DECLARE_POOL_F32

}  // namespace bnn
