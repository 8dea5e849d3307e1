// SPDX-License-Identifier: Apache-2.0
// The direct bitserial convolution driver: the layer's input copied, a band
// of rows at a time, into a zero-padded packed buffer, so that every tap of
// every pixel is a constant offset from the pixel; then one microkernel call
// (bconv_direct_ukernel.h) per tile of pixels of one output row x block of
// channels, which finishes its outputs itself (no layer-sized sums buffer).
//
// Exactness is the GEMM driver's (bitserial_gemm.h): a padded tap reads code
// 0, and a border pixel adds, per output channel, the difference between what
// its padded taps mean and what code 0 counted. Those sums depend only on
// which taps of the window fall outside, so they are tabled once per layer by
// border class (the set of padded rows of the window x the set of padded
// columns), and a tile passes one table row per pixel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/bconv_direct_ukernel.h"
#include "kernels/conv_geometry.h"

namespace bnn {

struct BitserialConvLayer;
struct BitserialGemmPlan;

struct BitserialDirectPlan {
  BconvDirectUkernel ukernel = nullptr;
  int tile_oc = 8, tile_px = 1;
  int oc_padded = 0;       // out_c rounded up to tile_oc
  int padded_cols = 0;     // columns of the padded buffer: left pad, the input, right pad and the last tile's slack
  int band_rows = 1;       // output rows per padded band
  std::vector<int64_t> tap_offset;  // [taps] words from a pixel's tap (0, 0)
  std::vector<int32_t> channel_add;  // [oc_padded]
  std::vector<int32_t> thresholds;   // [levels][oc_padded] (packed output), clamped to +-2^25 (|acc| < 2^24)
  std::vector<uint8_t> down;         // [oc_padded / 8]
  std::vector<int32_t> sum_thresholds;  // the thresholds moved onto S (BconvDirectEpilogue)
  std::vector<uint8_t> sum_flip;
  std::vector<int32_t> border;       // [row classes][column classes][oc_padded]; class 0 x 0 is all zeros
  std::vector<int32_t> row_class, col_class;  // [out_h], [out_w]
  int col_classes = 1;
  bool activation_sums = false;      // acc needs each pixel's activation code sum (bipolar weights, unipolar inputs)
  int64_t activation_sum_scale = 0;  // ... times this (-Lw)
};

// Whether the direct driver can run this layer (one group; windows of at
// most 32 taps a side, for the border class masks).
bool bitserial_direct_supports(const ConvGeometry& g);

// Fills plan.direct for `ukernel` (the GEMM part of `plan`, weights packed for
// a tile of tile_oc channels and the per-tap corrections, must be made).
void make_bitserial_direct_plan(BitserialGemmPlan& plan, const BitserialConvLayer& layer, BconvDirectUkernel ukernel,
                                int tile_oc, int tile_px, int band_rows);

size_t bitserial_direct_scratch_bytes(const BitserialGemmPlan& plan, const ConvGeometry& g);

// One block of a layer's output; channel_begin a multiple of tile_oc.
void bitserial_direct_run(const BitserialGemmPlan& plan, const BitserialConvLayer& layer, const OutputBlock& block,
                          void* scratch);

}  // namespace bnn
