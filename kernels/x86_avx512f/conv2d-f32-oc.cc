// SPDX-License-Identifier: Apache-2.0
// The output-channel-vectorized float convolution built with -mavx512f.
#define BNN_FLOAT_NAMESPACE avx512f
#include "kernels/conv2d_f32_oc.inc"
