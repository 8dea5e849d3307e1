// SPDX-License-Identifier: Apache-2.0
// AVX-512 VPOPCNTDQ, 8 channels x 4 pixels, depth unrolled 2 words.
#include "kernels/x86_avx512vpopcnt/bgemm-8xN.inc"

namespace bnn::avx512vpopcnt {
void bgemm_ukernel_8x4c2(const BgemmUkernelArgs& args) { dispatch<4, 2>(args); }
}  // namespace bnn::avx512vpopcnt
