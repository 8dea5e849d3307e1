// SPDX-License-Identifier: Apache-2.0
// The int8 convolution built with -mavx2: int16 pairs through vpmaddwd.
#define BNN_INT8_NAMESPACE avx2
#include "kernels/conv2d_int8.inc"
