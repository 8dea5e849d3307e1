// SPDX-License-Identifier: Apache-2.0
// The int8 convolution at the baseline ISA (SSE2 on x86-64, NEON smlal on AArch64).
#define BNN_INT8_NAMESPACE portable
#include "kernels/conv2d_int8.inc"
