// SPDX-License-Identifier: Apache-2.0
// The output-channel-vectorized float convolution built with -mavx2.
#define BNN_FLOAT_NAMESPACE avx2
#include "kernels/conv2d_f32_oc.inc"
