// SPDX-License-Identifier: Apache-2.0
// The bitserial GEMM microkernel contract, alone: ISA-specific files include
// only this, so no inline function of a shared header is ever compiled with an
// ISA's flags (and picked by the linker for CPUs without that ISA).
//
// A microkernel computes, for its tile of OC output channels x PX pixels,
//   s[p][o] = sum over taps t, weight planes i, activation planes j of
//             2^(i+j) * sum over words k of popcount(op(w[t][i][k][o], a[t*PX + p][j*words + k]))
// with op = XOR if xor_op, else AND. See bitserial_gemm.h for what the sums mean.
#pragma once

#include <cstdint>

namespace bnn {

struct BgemmUkernelArgs {
  int taps = 0;
  int words = 0;  // 64-bit words per plane
  int weight_bits = 1, act_bits = 1;
  bool xor_op = true;
  const uint64_t* const* a = nullptr;  // [taps][tile_px] pointers, each to [act_bits][words]
  const uint64_t* w = nullptr;         // [taps][weight_bits][words][tile_oc]
  int32_t* s = nullptr;                // [tile_px][tile_oc]
};

using BgemmUkernel = void (*)(const BgemmUkernelArgs& args);

// The microkernels this build compiled, by ISA; each name carries its tile
// and depth step, as its descriptor and its file do.
#if defined(BNN_HAVE_AVX2)
namespace avx2 {
void bgemm_ukernel_4x4c1(const BgemmUkernelArgs& args);
}
#endif
#if defined(BNN_HAVE_AVX512VPOPCNT)
namespace avx512vpopcnt {
void bgemm_ukernel_8x8c1(const BgemmUkernelArgs& args);
void bgemm_ukernel_8x4c1(const BgemmUkernelArgs& args);
void bgemm_ukernel_8x8c2(const BgemmUkernelArgs& args);  // depth unrolled 2 words
void bgemm_ukernel_8x4c2(const BgemmUkernelArgs& args);
}
#endif
#if defined(BNN_HAVE_NEON64)
namespace neon64 {
void bgemm_ukernel_4x4c1(const BgemmUkernelArgs& args);
void bgemm_ukernel_8x4c1(const BgemmUkernelArgs& args);
}
#endif
#if defined(BNN_HAVE_NEON32)
namespace neon32 {
void bgemm_ukernel_4x4c1(const BgemmUkernelArgs& args);
}
#endif

}  // namespace bnn
