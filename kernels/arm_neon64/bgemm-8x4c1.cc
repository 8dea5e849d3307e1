// SPDX-License-Identifier: Apache-2.0
// AArch64 NEON, 8 channels x 4 pixels, 16-bit lanes only (no register room
// for a byte stage): the AArch64 default (docs/performance.md, Pi estimates).
#define BNN_NEON_NAMESPACE neon64
#include "kernels/arm_neon/bgemm-neon.inc"

namespace bnn::neon64 {
void bgemm_ukernel_8x4c1(const BgemmUkernelArgs& args) { dispatch<8, false>(args); }
}  // namespace bnn::neon64
