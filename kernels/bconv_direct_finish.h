// SPDX-License-Identifier: Apache-2.0
// A direct microkernel's epilogue in plain C++, for the ISAs whose kernels
// count in SIMD but finish in scalar code (NEON, the portable kernel): one
// tile's popcount sums S to the layer's output, exactly as the contract of
// bconv_direct_ukernel.h says. It writes whole bytes of packed output, so
// tiles of 8-channel multiples never share a word they both rewrite.
#pragma once

#include <cstdint>

#include "kernels/bconv_direct_ukernel.h"

namespace bnn {

// The widest tile it finishes.
constexpr int kDirectFinishMaxOc = 64;

// sums: [a.pixels (of a tile)][tile_oc], S of channel a.c0 + c at [p][c];
// tile_oc <= kDirectFinishMaxOc.
void bconv_direct_finish(const int32_t* sums, int tile_oc, const BconvDirectArgs& a);

}  // namespace bnn
