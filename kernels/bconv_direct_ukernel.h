// SPDX-License-Identifier: Apache-2.0
// The direct bitserial convolution microkernel contract, alone (ISA files
// include only this; see bgemm_ukernel.h for why).
//
// Where the GEMM microkernel (bgemm_ukernel.h) reads one pointer per tap and
// pixel and returns raw sums, a direct microkernel reads a padded packed input
// through constant offsets and finishes its tile itself: for a tile of up to
// kPx output pixels of one output row x a block of output channels it forms
// the exact accumulator and stores the output transform's result, float or
// packed bits, with no pass over a layer-sized sums buffer. The driver (bitserial_direct.h)
// pads the input, so every tap is a valid read of code 0 in the padding, and
// passes the border pixels' corrections.
//
// Pixel p, tap t, plane j, word k of the tile is
//   a[tap_offset[t] + p * pixel_stride + j * words + k].
// The accumulator of pixel p, channel c (c the layer's channel index) is
//   acc = mul * S + channel_add[c] + (corr ? corr[p][c] : 0) + (pixel_add ? pixel_add[p] : 0)
// with S the popcount sum of bgemm_ukernel.h (op XOR or AND, plane pair weight 2^(i+j)).
#pragma once

#include <cstdint>

#include "kernels/output_transform.h"

namespace bnn {

// What a layer's tiles share (set once per layer by the driver's plan).
struct BconvDirectEpilogue {
  int mul = -2;                          // -2 (XOR), 1 (AND), 2 (AND minus a code sum)
  int out_c = 0;                         // channels of the layer: lanes past it are neither read nor written
  int oc_stride = 0;                     // channels per row of the per-channel tables (out_c padded to the tile)
  const int32_t* channel_add = nullptr;  // [oc padded to the tile]
  // Packed output (out_packed set): code q = #{ l : acc >= thresholds[l][c] } with
  // lanes of `down` channels inverted per level, so direction -1 needs no
  // other path (the plan stores T + 1 for them: acc <= T is !(acc >= T + 1)).
  int out_bits = 0;
  const int32_t* thresholds = nullptr;  // [levels][oc padded]
  const uint8_t* down = nullptr;        // [oc padded / 8]: bit c % 8 set when channel c counts downwards
  uint64_t* out_packed = nullptr;       // [pixels][out_bits][words_for(out_c)]
  // The same decisions on S itself, for tiles with neither corrections nor
  // pixel_add (acc is then mul * S + channel_add): level l of channel c is
  // (S >= sum_thresholds[l][c]) ^ (bit c of sum_flip). One compare per lane.
  const int32_t* sum_thresholds = nullptr;  // [levels][oc padded]
  const uint8_t* sum_flip = nullptr;        // [oc padded / 8]
  // Float output (out_float set): transform_to_float of output_transform.h,
  // operation by operation.
  FloatTransform transform;
  const float* residual = nullptr;  // [pixels][out_c] or null
  int64_t pixels = 0;               // of the whole output (out_h * out_w)
  float* out_float = nullptr;       // [pixels][out_c]
  FusedQuantize quantize;           // with out_float: its one-bit quantize too (bytes of it), or nothing
};

struct BconvDirectArgs {
  const uint64_t* a = nullptr;            // tap (0, 0) of the tile's first pixel
  const int64_t* tap_offset = nullptr;    // [taps], in words
  int64_t pixel_stride = 0;               // words between the tile's consecutive pixels
  int taps = 0, words = 0, weight_bits = 1, act_bits = 1;
  bool xor_op = true;
  const uint64_t* w = nullptr;            // [taps][weight_bits][words][tile_oc]: this block's weights
  int pixels = 0;                         // valid pixels (<= the tile's); the rest are computed, not stored
  int64_t out_pixel = 0;                  // output index (row-major) of the tile's first pixel
  int c0 = 0;                             // the block's first output channel
  const int32_t* const* corr = nullptr;   // [tile_px] rows indexed by channel, or null (an interior tile)
  const int32_t* pixel_add = nullptr;     // [tile_px] or null
  const BconvDirectEpilogue* e = nullptr;
  // Tiles along the row in this call, each tile_px pixels on from the last
  // (a by tile_px * pixel_stride, out_pixel by tile_px). Beyond one, every
  // tile is full and interior (no corr, no pixel_add): a call's fixed cost
  // is then shared, which on shallow layers (1x1, 64 channels) is most of it.
  int tiles = 1;
};

using BconvDirectUkernel = void (*)(const BconvDirectArgs& args);

namespace portable {
void bconv_direct_8x4c1(const BconvDirectArgs& args);
}  // namespace portable

#if defined(BNN_HAVE_NEON64)
namespace neon64 {
void bconv_direct_8x4c1(const BconvDirectArgs& args);
}  // namespace neon64
#endif

#if defined(BNN_HAVE_NEON32)
namespace neon32 {
void bconv_direct_8x2c1(const BconvDirectArgs& args);
}  // namespace neon32
#endif

#if defined(BNN_HAVE_AVX512VPOPCNT)
namespace avx512vpopcnt {
// <channels>x<pixels>: 8 channels a zmm of 64-bit lanes.
void bconv_direct_16x12c1(const BconvDirectArgs& args);
void bconv_direct_32x6c1(const BconvDirectArgs& args);
void bconv_direct_32x7c1(const BconvDirectArgs& args);
void bconv_direct_8x24c1(const BconvDirectArgs& args);
void bconv_direct_16x8c1(const BconvDirectArgs& args);
}  // namespace avx512vpopcnt
#endif

}  // namespace bnn
