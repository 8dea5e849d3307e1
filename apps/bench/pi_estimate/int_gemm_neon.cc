// SPDX-License-Identifier: Apache-2.0
#include "apps/bench/pi_estimate/int_gemm_neon.h"

#include <arm_neon.h>

namespace bnn::bench::neon_baseline {

void pack_s16_8x4(int depth, const int16_t* w, int16_t* out) {
  for (int k = 0; k < depth; ++k) {
    for (int o = 0; o < 8; ++o) out[k * 8 + o] = w[o * depth + k];
  }
}

void gemm_s16_8x4(int depth, const int16_t* w, const int16_t* const a[4], int32_t c[4][8]) {
  int32x4_t lo[4], hi[4];
  for (int p = 0; p < 4; ++p) lo[p] = hi[p] = vdupq_n_s32(0);
  for (int k = 0; k < depth; k += 4, w += 32) {
    int16x4_t x[4];
    for (int p = 0; p < 4; ++p) x[p] = vld1_s16(a[p] + k);
    const int16x8_t w0 = vld1q_s16(w), w1 = vld1q_s16(w + 8), w2 = vld1q_s16(w + 16), w3 = vld1q_s16(w + 24);
    for (int p = 0; p < 4; ++p) {
      lo[p] = vmlal_lane_s16(lo[p], vget_low_s16(w0), x[p], 0);
      hi[p] = vmlal_high_lane_s16(hi[p], w0, x[p], 0);
      lo[p] = vmlal_lane_s16(lo[p], vget_low_s16(w1), x[p], 1);
      hi[p] = vmlal_high_lane_s16(hi[p], w1, x[p], 1);
      lo[p] = vmlal_lane_s16(lo[p], vget_low_s16(w2), x[p], 2);
      hi[p] = vmlal_high_lane_s16(hi[p], w2, x[p], 2);
      lo[p] = vmlal_lane_s16(lo[p], vget_low_s16(w3), x[p], 3);
      hi[p] = vmlal_high_lane_s16(hi[p], w3, x[p], 3);
    }
  }
  for (int p = 0; p < 4; ++p) {
    vst1q_s32(c[p], lo[p]);
    vst1q_s32(c[p] + 4, hi[p]);
  }
}

void pack_s8_4x4(int depth, const int8_t* w, int8_t* out) {
  for (int k0 = 0; k0 < depth; k0 += 16) {
    for (int o = 0; o < 4; ++o) {
      for (int k = 0; k < 16; ++k) *out++ = w[o * depth + k0 + k];
    }
  }
}

void gemm_s8_4x4(int depth, const int8_t* w, const int8_t* const a[4], int32_t c[4][4]) {
  int32x4_t acc[4][4];
  for (int p = 0; p < 4; ++p) {
    for (int o = 0; o < 4; ++o) acc[p][o] = vdupq_n_s32(0);
  }
  for (int k = 0; k < depth; k += 16, w += 64) {
    int8x16_t x[4], v[4];
    for (int p = 0; p < 4; ++p) x[p] = vld1q_s8(a[p] + k);
    for (int o = 0; o < 4; ++o) v[o] = vld1q_s8(w + 16 * o);
    for (int p = 0; p < 4; ++p) {
      for (int o = 0; o < 4; ++o) {
        int16x8_t prod = vmull_s8(vget_low_s8(v[o]), vget_low_s8(x[p]));
        prod = vmlal_high_s8(prod, v[o], x[p]);
        acc[p][o] = vpadalq_s16(acc[p][o], prod);
      }
    }
  }
  for (int p = 0; p < 4; ++p) {
    for (int o = 0; o < 4; ++o) c[p][o] = vaddvq_s32(acc[p][o]);
  }
}

}  // namespace bnn::bench::neon_baseline
