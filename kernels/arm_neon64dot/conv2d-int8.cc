// SPDX-License-Identifier: Apache-2.0
// The int8 convolution built for ARMv8.2-A with the dot product extension
// (Cortex-A76 and later: Raspberry Pi 5): sdot on signed bytes, 4 input
// channels per instruction and lane. Chosen only where the CPU reports it
// (cpu_features.cc, HWCAP_ASIMDDP).
#define BNN_INT8_NAMESPACE neon64dot
#define BNN_INT8_DOTPROD 1
#include "kernels/conv2d_int8.inc"
