// SPDX-License-Identifier: Apache-2.0
// ARMv7 NEON direct bitserial kernel, 8 channels x 2 pixels (8 accumulators,
// 4 weight registers, 2 broadcasts of the 16 q registers). Not the ARMv7
// default: GCC 12 keeps part of its accumulators on the stack inside the
// inner loop, and llvm-mca (Cortex-A72's model, the only ARMv7 one LLVM 14
// has for a Pi core) puts it at 51 binary MACs per cycle against the GEMM
// kernel's 54. bnn-tune measures both on the board and keeps the faster.
#define BNN_NEON_NAMESPACE neon32
#include "kernels/arm_neon/bconv-direct-neon.inc"

namespace bnn::neon32 {
void bconv_direct_8x2c1(const BconvDirectArgs& args) { dispatch<8, 2>(args); }
}  // namespace bnn::neon32
