// SPDX-License-Identifier: Apache-2.0
// AArch64 NEON direct bitserial kernel, 8 channels x 4 pixels: 16
// accumulators, 4 weight registers and 4 broadcasts. 8 x 6 (24 accumulators)
// estimated slower on both Pi cores (llvm-mca: 24.8 against 30.1 MACs per
// cycle on Cortex-A53, 74.9 against 78.7 on A72): the broadcasts no longer fit.
#define BNN_NEON_NAMESPACE neon64
#include "kernels/arm_neon/bconv-direct-neon.inc"

namespace bnn::neon64 {
void bconv_direct_8x4c1(const BconvDirectArgs& args) { dispatch<8, 4>(args); }
}  // namespace bnn::neon64
