// SPDX-License-Identifier: Apache-2.0
// The direct driver's portable microkernel: the contract of
// bconv_direct_ukernel.h in plain C++ (a popcount per word pair, the plain
// C++ epilogue). Not a default anywhere; it gives every CPU, and the native
// test run, a check of the driver and of bconv_direct_finish that the ARM
// kernels share.
#include <cassert>
#include <cstdint>

#include "kernels/bconv_direct_finish.h"
#include "kernels/bconv_direct_ukernel.h"

namespace bnn::portable {
namespace {

template <int kTileOc, int kPx>
void run_tile(const BconvDirectArgs& a) {
  int32_t sums[kPx * kTileOc] = {};
  for (int i = 0; i < a.weight_bits; ++i) {
    for (int j = 0; j < a.act_bits; ++j) {
      for (int t = 0; t < a.taps; ++t) {
        const uint64_t* w = a.w + (int64_t{t} * a.weight_bits + i) * a.words * kTileOc;
        const uint64_t* tap = a.a + a.tap_offset[t] + j * a.words;
        for (int k = 0; k < a.words; ++k) {
          for (int p = 0; p < kPx; ++p) {
            const uint64_t x = tap[p * a.pixel_stride + k];
            for (int c = 0; c < kTileOc; ++c) {
              const uint64_t bits = a.xor_op ? w[k * kTileOc + c] ^ x : w[k * kTileOc + c] & x;
              sums[p * kTileOc + c] += __builtin_popcountll(bits) << (i + j);
            }
          }
        }
      }
    }
  }
  bconv_direct_finish(sums, kTileOc, a);
}

}  // namespace

void bconv_direct_8x4c1(const BconvDirectArgs& args) {
  assert(args.tiles == 1 || (!args.corr && !args.pixel_add && args.pixels == 4));  // the span contract
  BconvDirectArgs tile = args;
  for (int i = 0; i < args.tiles; ++i) {
    run_tile<8, 4>(tile);
    tile.a += 4 * tile.pixel_stride;
    tile.out_pixel += 4;
  }
}

}  // namespace bnn::portable
