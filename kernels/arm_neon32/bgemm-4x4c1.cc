// SPDX-License-Identifier: Apache-2.0
// ARMv7 NEON (32-bit Raspberry Pi OS), 4 channels x 4 pixels: 16 q registers,
// so 16-bit lanes without the byte stage.
#define BNN_NEON_NAMESPACE neon32
#include "kernels/arm_neon/bgemm-neon.inc"

namespace bnn::neon32 {
void bgemm_ukernel_4x4c1(const BgemmUkernelArgs& args) { dispatch<4, false>(args); }
}  // namespace bnn::neon32
