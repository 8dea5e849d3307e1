// SPDX-License-Identifier: Apache-2.0
// Integer NEON convolution microkernels that bnn's bitserial kernels are
// compared against on paper (docs/performance.md, "Raspberry Pi, estimated").
// They are baselines, written as a competent engineer would for AArch64 and
// kept with the benchmark code, not in the engine: a convolution as a GEMM
// over im2col rows (K = taps x input channels), one register tile of output
// channels x 4 pixels per call, the weights pre-packed per tile.
//   int16: 8 channels x 4 pixels, 4 depth steps per iteration, SMLAL by lane
//          (int16 x int16 -> int32), the classic pre-dotprod 16-bit kernel.
//   int8:  4 channels x 4 pixels, 16 depth steps per iteration: SMULL +
//          SMLAL2 into int16 pairs, SADALP into int32 (gemmlowp/ruy's
//          approach on cores without dot product; weights in [-127, 127] so a
//          pair cannot overflow int16).
//   int8 dot: 8 channels x 4 pixels, 4 depth steps per iteration, SDOT by
//          lane (ARMv8.2 dot product: Cortex-A76 / Raspberry Pi 5, not A53/A72).
#pragma once

#include <cstdint>

namespace bnn::bench::neon_baseline {

// c[p][o] = sum over k < depth of w[o][k] * a[p][k], with the weights in
// their kernel's packed layout (below). depth is a multiple of the kernel's
// depth step; `a` holds 4 pointers to im2col rows (packed for the dot kernel).
void gemm_s16_8x4(int depth, const int16_t* w_packed, const int16_t* const a[4], int32_t c[4][8]);
void gemm_s8_4x4(int depth, const int8_t* w_packed, const int8_t* const a[4], int32_t c[4][4]);
// ARMv8.2 dot product (int_gemm_neon_dot.cc): call only where the CPU has it.
void gemm_s8dot_8x4(int depth, const int8_t* w_packed, const int8_t* a_packed, int32_t c[4][8]);

// Packing (once per layer for weights; per pixel tile for the dot kernel's
// activations, which ruy also packs): from row-major w[oc][depth] / a[p][depth].
void pack_s16_8x4(int depth, const int16_t* w, int16_t* out);   // [depth][8]
void pack_s8_4x4(int depth, const int8_t* w, int8_t* out);      // [depth / 16][4][16]
void pack_s8dot_w(int depth, const int8_t* w, int8_t* out);     // [depth / 4][8][4]
void pack_s8dot_a(int depth, const int8_t* const a[4], int8_t* out);  // [depth / 4][4][4]

}  // namespace bnn::bench::neon_baseline
