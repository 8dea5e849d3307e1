// SPDX-License-Identifier: Apache-2.0
// Quantize kernels beyond the reference, one per ISA this build compiled. They
// share the reference's signature (kernels/ref/quantize.h).
#pragma once

#include <cstdint>

#include "kernels/ref/quantize.h"

namespace bnn {

#if defined(BNN_HAVE_AVX2)
namespace avx2 {
void quantize_1bit(const float* x, int64_t rows, int channels, const float* scale, const float* bias,
                   const float* thresholds, int bits, uint64_t* packed);
}
#endif
#if defined(BNN_HAVE_AVX512VPOPCNT)
namespace avx512vpopcnt {
void quantize_1bit(const float* x, int64_t rows, int channels, const float* scale, const float* bias,
                   const float* thresholds, int bits, uint64_t* packed);
}
#endif

}  // namespace bnn
