// SPDX-License-Identifier: Apache-2.0
// AArch64 NEON, 4 channels x 4 pixels, with the byte stage (32 q registers
// hold its second set of accumulators). Raspberry Pi 3/4/5 with a 64-bit OS.
#define BNN_NEON_NAMESPACE neon64
#include "kernels/arm_neon/bgemm-neon.inc"

namespace bnn::neon64 {
void bgemm_ukernel_4x4c1(const BgemmUkernelArgs& args) { dispatch<4, true>(args); }
}  // namespace bnn::neon64
