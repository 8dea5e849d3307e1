// SPDX-License-Identifier: Apache-2.0
// Float pooling built with -mavx2.
#define BNN_POOL_NAMESPACE avx2
#include "kernels/pool_f32.inc"
