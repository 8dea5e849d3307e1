// SPDX-License-Identifier: Apache-2.0
// The int8 convolution built with -mfpu=neon (ARMv7): int16 smlal.
#define BNN_INT8_NAMESPACE neon32
#include "kernels/conv2d_int8.inc"
