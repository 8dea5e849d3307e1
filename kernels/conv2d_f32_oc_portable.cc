// SPDX-License-Identifier: Apache-2.0
// The output-channel-vectorized float convolution at the baseline ISA (SSE2 on
// x86-64, NEON on AArch64).
#define BNN_FLOAT_NAMESPACE portable
#include "kernels/conv2d_f32_oc.inc"
