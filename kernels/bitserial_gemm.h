// SPDX-License-Identifier: Apache-2.0
// The bitserial convolution as a GEMM over bit planes: one portable driver,
// one small microkernel per ISA and register tile.
//
// The microkernel computes, for a tile of OC output channels x PX output
// pixels, the raw popcount sums
//   S[p][o] = sum over taps t, weight planes i, activation planes j of
//             2^(i+j) * sum over words k of popcount(op(w[t][i][k], a[t][p][j][k]))
// with op XOR when both operands are bipolar and AND otherwise. It sees every
// tap as valid: a tap in the padding points at a row of zero words, i.e. code 0
// (Larq's indirect BGEMM). The driver turns S into the exact accumulator:
//   bipolar x bipolar   acc = taps * C * Lw * La - 2 S
//   unipolar x unipolar acc = S
//   bipolar w, unipolar a: acc = 2 S - Lw * (sum of the pixel's activation codes)
//   unipolar w, bipolar a: acc = 2 S - La * (sum of the channel's weight codes)
// (Lw = 2^wbits - 1, La = 2^abits - 1; docs/numerics.md has the plane sums),
// then, for a border pixel, adds for each padded tap the difference between
// what the padding means (0, or the value -1) and the code 0 the microkernel
// saw. Those differences are precomputed per output channel and tap, so the
// border is exact and costs a few adds. Then the output transform runs on the
// pixel, as in the reference kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/bgemm_ukernel.h"
#include "kernels/bitserial_direct.h"
#include "kernels/ref/bitserial_conv.h"

namespace bnn {


constexpr int64_t kMaxOuterTileBytes = int64_t{8} << 20;  // scratch of one outer tile (accumulators, indirection)

// How the driver walks a layer beyond the microkernel's register tile (a
// layer schedule's knobs; bnn-tune picks them). An outer tile is outer_px
// output pixels (row-major) by outer_oc output channels: for each outer pixel
// tile, the indirection is built once, then for each outer channel tile every
// register tile of those pixels runs, so one channel tile's packed weights
// stay in cache while the pixels stream past. Inside an outer tile, the loop
// order is pixels outer (each register tile of pixels meets every channel
// block of the tile: its activation rows stay in L1) or channels outer (each
// channel block meets every pixel tile: its packed weights stay in L1). The
// defaults (one register tile of pixels, all channels) walk pixel tiles
// outermost. Results are identical for every schedule: each output is one
// integer sum.
struct GemmLoopSchedule {
  int outer_px = 0;  // output pixels per outer tile, rounded up to a multiple of tile_px; 0 = tile_px
  int outer_oc = 0;  // output channels per outer tile, rounded up to a multiple of tile_oc; 0 = all
  bool channels_outer = false;  // loop order inside an outer tile
};

// What a GEMM kernel prepares once per layer (at model load).
struct BitserialGemmPlan {
  enum class Epilogue { kXor, kAnd, kAndMinusActivationSum, kAndMinusWeightSum };

  BgemmUkernel ukernel = nullptr;
  int tile_oc = 1, tile_px = 1;
  int outer_px = 1;         // pixels per outer tile, a multiple of tile_px
  int outer_oc_blocks = 1;  // register blocks of channels per outer tile
  bool channels_outer = false;
  int taps = 0, words = 0, weight_bits = 1, act_bits = 1, oc_blocks = 0;
  Epilogue epilogue = Epilogue::kXor;
  int64_t xor_base = 0;               // taps * C * Lw * La (kXor)
  std::vector<uint64_t> weights;      // [oc_blocks][taps][weight_bits][words][tile_oc], zero-filled past out_c
  std::vector<int32_t> weight_sums;   // [out_c] sum of weight codes (kAndMinusWeightSum)
  std::vector<int32_t> padded_tap;    // [out_c][taps] added per padded tap
  std::vector<uint64_t> zero_row;     // act_bits * words zeros

  // One-bit packed output on interior pixels: the threshold folded onto the
  // raw sum, bit = (S <= bound[c]) != invert[c]; no accumulator is formed.
  bool direct_bits = false;
  std::vector<int32_t> bound;
  std::vector<uint8_t> invert;

  // Set when the layer runs on the direct driver (bitserial_direct.h), which
  // shares the packed weights and per-tap corrections above.
  std::shared_ptr<const BitserialDirectPlan> direct;
};

// Packs the weights and precomputes the corrections for one layer (its
// constants: weights, and thresholds when the output is packed).
std::shared_ptr<BitserialGemmPlan> make_bitserial_gemm_plan(const BitserialConvLayer& layer,
                                                                   BgemmUkernel ukernel, int tile_oc, int tile_px,
                                                                   GemmLoopSchedule loop = {});

// One block of a layer's output, with its output transform. Its channel
// range must start on a multiple of bitserial_channel_step() and end on one
// or at out_c.
void bitserial_gemm_run(const BitserialGemmPlan& plan, const BitserialConvLayer& layer, const OutputBlock& block,
                        void* scratch);

// The granule of a channel split: a register block of channels, or a whole
// 64-bit word of every output plane when the output is packed (so that two
// threads never write one word). tile_oc divides 64.
constexpr int bitserial_channel_step(int tile_oc, bool packed_output) {
  return packed_output && tile_oc < 64 ? 64 : tile_oc;
}

size_t bitserial_gemm_scratch_bytes(const BitserialGemmPlan& plan, const ConvGeometry& g);

// The portable microkernel, a template over its tile: the readable
// specification of every SIMD microkernel (they are tested against the
// reference through the driver).
template <int kTileOc, int kTilePx>
void bgemm_ukernel_portable(const BgemmUkernelArgs& args);

}  // namespace bnn
