// SPDX-License-Identifier: Apache-2.0
// Float pooling built with -mavx512f.
#define BNN_POOL_NAMESPACE avx512f
#include "kernels/pool_f32.inc"
