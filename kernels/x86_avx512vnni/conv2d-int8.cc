// SPDX-License-Identifier: Apache-2.0
// The int8 convolution built with AVX-512 VNNI: vpdpbusd on biased bytes.
#define BNN_INT8_NAMESPACE avx512vnni
#include "kernels/conv2d_int8.inc"
