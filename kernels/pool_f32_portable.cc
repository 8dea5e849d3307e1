// SPDX-License-Identifier: Apache-2.0
// Float pooling at the baseline ISA (SSE2 on x86-64, NEON on AArch64).
#define BNN_POOL_NAMESPACE portable
#include "kernels/pool_f32.inc"
