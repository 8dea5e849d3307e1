// SPDX-License-Identifier: Apache-2.0
// The NEON popcount steps both bitserial drivers' microkernels share
// (bgemm-neon.inc, bconv-direct-neon.inc): one word pair's bit count as byte
// lanes, and the pairwise add that turns two registers of widened counts (two
// 32-bit lanes per channel, two channels a register) into four channels in
// order. Included inside each tile file's
// BNN_NEON_NAMESPACE, so no symbol leaves the ISA's namespace.
#pragma once

#include <arm_neon.h>

namespace bnn::BNN_NEON_NAMESPACE {
namespace {

// Steps a 16-bit lane takes when each adds at most 16 (vpadalq_u8 of two
// byte counts of at most 8).
constexpr int kShortSteps = 4080;
static_assert(kShortSteps * 16 <= 65535, "a 16-bit lane would overflow");

// [a0 + a1, a2 + a3, b0 + b1, b2 + b3]
inline uint32x4_t pairwise_add(uint32x4_t a, uint32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_u32(a, b);
#else
  return vcombine_u32(vpadd_u32(vget_low_u32(a), vget_high_u32(a)), vpadd_u32(vget_low_u32(b), vget_high_u32(b)));
#endif
}

// Bit counts of (w XOR a) or (w AND a), one per byte.
template <bool kXor>
inline uint8x16_t count(uint64x2_t w, uint64x2_t a) {
  return vcntq_u8(vreinterpretq_u8_u64(kXor ? veorq_u64(w, a) : vandq_u64(w, a)));
}

}  // namespace
}  // namespace bnn::BNN_NEON_NAMESPACE
