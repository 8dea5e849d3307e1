// SPDX-License-Identifier: Apache-2.0
// The ARMv8.2 dot-product baseline, alone in its file: only this file is
// built with +dotprod, so the rest runs on ARMv8.0 cores (Pi 3 and 4).
#include <arm_neon.h>

#include "apps/bench/pi_estimate/int_gemm_neon.h"

namespace bnn::bench::neon_baseline {

void pack_s8dot_w(int depth, const int8_t* w, int8_t* out) {
  for (int k0 = 0; k0 < depth; k0 += 4) {
    for (int o = 0; o < 8; ++o) {
      for (int k = 0; k < 4; ++k) *out++ = w[o * depth + k0 + k];
    }
  }
}

void pack_s8dot_a(int depth, const int8_t* const a[4], int8_t* out) {
  for (int k0 = 0; k0 < depth; k0 += 4) {
    for (int p = 0; p < 4; ++p) {
      for (int k = 0; k < 4; ++k) *out++ = a[p][k0 + k];
    }
  }
}

void gemm_s8dot_8x4(int depth, const int8_t* w, const int8_t* a, int32_t c[4][8]) {
  int32x4_t lo[4], hi[4];
  for (int p = 0; p < 4; ++p) lo[p] = hi[p] = vdupq_n_s32(0);
  for (int k = 0; k < depth; k += 4, w += 32, a += 16) {
    const int8x16_t x = vld1q_s8(a), w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
    lo[0] = vdotq_laneq_s32(lo[0], w0, x, 0);
    hi[0] = vdotq_laneq_s32(hi[0], w1, x, 0);
    lo[1] = vdotq_laneq_s32(lo[1], w0, x, 1);
    hi[1] = vdotq_laneq_s32(hi[1], w1, x, 1);
    lo[2] = vdotq_laneq_s32(lo[2], w0, x, 2);
    hi[2] = vdotq_laneq_s32(hi[2], w1, x, 2);
    lo[3] = vdotq_laneq_s32(lo[3], w0, x, 3);
    hi[3] = vdotq_laneq_s32(hi[3], w1, x, 3);
  }
  for (int p = 0; p < 4; ++p) {
    vst1q_s32(c[p], lo[p]);
    vst1q_s32(c[p] + 4, hi[p]);
  }
}

}  // namespace bnn::bench::neon_baseline
