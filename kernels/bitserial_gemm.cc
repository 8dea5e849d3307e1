// SPDX-License-Identifier: Apache-2.0
#include "kernels/bitserial_gemm.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstring>

#include "kernels/bitpack.h"

namespace bnn {
namespace {

inline int popcount(uint64_t x) { return __builtin_popcountll(x); }

// What the microkernel plus epilogue count for one tap whose activation is
// code 0 (all bits clear), per the formulas in the header: a code-0 bipolar
// activation is the value -La in every channel, a unipolar one is 0.
int64_t tap_at_code_zero(const uint64_t* w, int64_t words, int channels, int wbits, int abits, Encoding we,
                         Encoding ae) {
  if (ae != Encoding::kBipolar) return 0;
  return -((int64_t{1} << abits) - 1) * weight_tap_sum(w, words, channels, wbits, we);
}

// True if some tap of output pixel (oy, ox) falls in the padding.
bool is_border(const ConvGeometry& g, int oy, int ox) {
  return g.in_y0(oy) < 0 || g.in_x0(ox) < 0 || g.in_y0(oy) + (g.kernel_h - 1) * g.dilation_h >= g.in_h ||
         g.in_x0(ox) + (g.kernel_w - 1) * g.dilation_w >= g.in_w;
}

}  // namespace

std::shared_ptr<BitserialGemmPlan> make_bitserial_gemm_plan(const BitserialConvLayer& layer,
                                                                   BgemmUkernel ukernel, int tile_oc, int tile_px,
                                                                   GemmLoopSchedule loop) {
  const BitserialConvArgs& a = layer.conv;
  const ConvGeometry& g = a.geometry;
  assert(g.groups == 1);
  assert(tile_oc > 0 && kWordBits % tile_oc == 0);  // a register block never straddles a packed word
  auto plan = std::make_shared<BitserialGemmPlan>();
  plan->ukernel = ukernel;
  plan->tile_oc = tile_oc;
  plan->tile_px = tile_px;
  plan->taps = g.kernel_h * g.kernel_w;
  plan->words = static_cast<int>(words_for(g.in_c));
  plan->weight_bits = a.weight_bits;
  plan->act_bits = a.act_bits;
  plan->oc_blocks = (g.out_c + tile_oc - 1) / tile_oc;
  // Outer tiles: whole register tiles, at most the layer, and at most
  // kMaxOuterTileBytes of accumulators (a schedule cannot make scratch huge).
  const int64_t pixels = int64_t{g.out_h} * g.out_w;
  // Per pixel of an outer tile: its accumulators, its indirection row pointers,
  // its code sum and its direct flag.
  const int64_t per_pixel_bytes = int64_t{plan->oc_blocks} * tile_oc * 4 + int64_t{plan->taps} * 8 + 5;
  const int64_t byte_cap = std::max<int64_t>(tile_px, kMaxOuterTileBytes / per_pixel_bytes);
  const int64_t outer_px = std::min({std::max<int64_t>(loop.outer_px, tile_px), pixels + tile_px - 1, byte_cap});
  plan->outer_px = static_cast<int>((outer_px + tile_px - 1) / tile_px * tile_px);
  plan->outer_oc_blocks = loop.outer_oc <= 0 ? plan->oc_blocks
                                             : std::min(plan->oc_blocks, (loop.outer_oc + tile_oc - 1) / tile_oc);
  plan->channels_outer = loop.channels_outer;
  const bool wb = a.weight_encoding == Encoding::kBipolar, ab = a.act_encoding == Encoding::kBipolar;
  using E = BitserialGemmPlan::Epilogue;
  plan->epilogue = wb && ab ? E::kXor : (!wb && !ab ? E::kAnd : (wb ? E::kAndMinusActivationSum : E::kAndMinusWeightSum));
  const int64_t lw = (int64_t{1} << a.weight_bits) - 1, la = (int64_t{1} << a.act_bits) - 1;
  plan->xor_base = int64_t{plan->taps} * g.in_c * lw * la;

  // Weights: the reference layout [oc][tap][plane][word] regrouped as
  // [oc block][tap][plane][word][oc in block].
  const int64_t words = plan->words, tap_words = a.weight_bits * words;
  plan->weights.assign(static_cast<size_t>(plan->oc_blocks) * plan->taps * tap_words * tile_oc, 0);
  for (int oc = 0; oc < g.out_c; ++oc) {
    const int block = oc / tile_oc, lane = oc % tile_oc;
    for (int t = 0; t < plan->taps; ++t) {
      for (int64_t w = 0; w < tap_words; ++w) {
        plan->weights[((static_cast<int64_t>(block) * plan->taps + t) * tap_words + w) * tile_oc + lane] =
            a.weights[(static_cast<int64_t>(oc) * plan->taps + t) * tap_words + w];
      }
    }
  }

  plan->weight_sums.assign(g.out_c, 0);
  plan->padded_tap.assign(static_cast<size_t>(g.out_c) * plan->taps, 0);
  const int pad_value = a.pad_value == PadValue::kMinusOne ? -1 : 0;
  for (int oc = 0; oc < g.out_c; ++oc) {
    for (int t = 0; t < plan->taps; ++t) {
      const uint64_t* w = a.weights + (static_cast<int64_t>(oc) * plan->taps + t) * tap_words;
      for (int i = 0; i < a.weight_bits; ++i) {
        for (int64_t k = 0; k < words; ++k) plan->weight_sums[oc] += popcount(w[i * words + k]) << i;
      }
      const int64_t meant = pad_value * weight_tap_sum(w, words, g.in_c, a.weight_bits, a.weight_encoding);
      const int64_t seen = tap_at_code_zero(w, words, g.in_c, a.weight_bits, a.act_bits, a.weight_encoding,
                                            a.act_encoding);
      plan->padded_tap[static_cast<size_t>(oc) * plan->taps + t] = static_cast<int32_t>(meant - seen);
    }
  }
  plan->zero_row.assign(static_cast<size_t>(a.act_bits) * words, 0);

  // acc = xor_base - 2 S (XOR) or acc = S (AND), and bit = dir * acc >= dir * T:
  //   XOR, dir +1: S <= floor((xor_base - T) / 2)     XOR, dir -1: S >= ceil((xor_base - T) / 2)
  //   AND, dir +1: S >= T                              AND, dir -1: S <= T
  // and S >= L is !(S <= L - 1).
  const bool packed_one_bit = layer.to_bits.thresholds && layer.to_bits.bits == 1;
  if (packed_one_bit && (plan->epilogue == E::kXor || plan->epilogue == E::kAnd)) {
    plan->direct_bits = true;
    plan->bound.resize(g.out_c);
    plan->invert.resize(g.out_c);
    auto floor_half = [](int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); };
    for (int c = 0; c < g.out_c; ++c) {
      const int64_t t = layer.to_bits.thresholds[c];
      const bool up = !layer.to_bits.direction || layer.to_bits.direction[c] > 0;
      int64_t bound;
      bool invert;
      if (plan->epilogue == E::kXor) {
        bound = up ? floor_half(plan->xor_base - t) : -floor_half(-(plan->xor_base - t)) - 1;
        invert = !up;
      } else {
        bound = up ? t - 1 : t;
        invert = up;
      }
      plan->bound[c] = static_cast<int32_t>(std::max<int64_t>(INT32_MIN, std::min<int64_t>(INT32_MAX, bound)));
      plan->invert[c] = invert;
    }
  }
  return plan;
}

size_t bitserial_gemm_scratch_bytes(const BitserialGemmPlan& p, const ConvGeometry& g) {
  const size_t oc_padded = static_cast<size_t>(p.oc_blocks) * p.tile_oc;
  return sizeof(const uint64_t*) * p.taps * p.outer_px  // indirection of an outer tile
         + sizeof(int32_t) * p.tile_px * p.tile_oc      // one microkernel tile
         + sizeof(int32_t) * p.outer_px * oc_padded     // the outer tile's accumulators
         + sizeof(int32_t) * p.outer_px                 // activation code sums
         + sizeof(float) * g.out_c                      // float copies for the transform
         + p.outer_px;                                  // which pixels are written directly
}

void bitserial_gemm_run(const BitserialGemmPlan& p, const BitserialConvLayer& layer, const OutputBlock& range,
                        void* scratch) {
  const ConvGeometry& g = layer.conv.geometry;
  const int px = p.tile_px, oc = p.tile_oc, outer = p.outer_px;
  assert(range.channel_begin % bitserial_channel_step(oc, layer.out_packed || layer.quantize.packed) == 0);
  assert(range.channel_begin < range.channel_end && range.channel_end <= g.out_c);
  const int c_begin = range.channel_begin, c_end = range.channel_end;
  const int block_begin = c_begin / oc, block_end = (c_end + oc - 1) / oc;
  const size_t oc_padded = static_cast<size_t>(p.oc_blocks) * oc;
  auto** a_ptrs = static_cast<const uint64_t**>(scratch);                 // [outer / px][taps][px]
  int32_t* tile = reinterpret_cast<int32_t*>(a_ptrs + int64_t{p.taps} * outer);  // [px][oc]
  int32_t* acc = tile + px * oc;                                          // [outer][oc_padded]
  int32_t* act_sums = acc + outer * oc_padded;                            // [outer]
  float* acc_f = reinterpret_cast<float*>(act_sums + outer);              // [out_c]
  uint8_t* direct = reinterpret_cast<uint8_t*>(acc_f + g.out_c);          // [outer]: written from the tiles

  const int64_t pixel_words = static_cast<int64_t>(p.act_bits) * p.words;
  const int64_t block_words = static_cast<int64_t>(p.taps) * p.weight_bits * p.words * oc;
  const int64_t la = (int64_t{1} << p.act_bits) - 1, lw = (int64_t{1} << p.weight_bits) - 1;
  const int64_t out_words = words_for(g.out_c);
  const int64_t word_begin = c_begin / kWordBits, word_end = words_for(c_end);
  using E = BitserialGemmPlan::Epilogue;

  BgemmUkernelArgs args;
  args.taps = p.taps;
  args.words = p.words;
  args.weight_bits = p.weight_bits;
  args.act_bits = p.act_bits;
  args.xor_op = p.epilogue == E::kXor;
  args.s = tile;

  const int64_t first = static_cast<int64_t>(range.row_begin) * g.out_w;
  const int64_t last = static_cast<int64_t>(range.row_end) * g.out_w;
  for (int64_t base = first; base < last; base += outer) {
    const int count = static_cast<int>(std::min<int64_t>(outer, last - base));
    const int tiles = (count + px - 1) / px;
    // Indirection, one register tile after another: each tap of each pixel
    // points at its input row or the zero row. A tile's pixels past `count`
    // repeat its last one; their results are dropped.
    for (int t = 0; t < tiles; ++t) {
      const int tile_count = std::min(px, count - t * px);
      for (int j = 0; j < px; ++j) {
        const int64_t pixel = base + t * px + std::min(j, tile_count - 1);
        const int oy = static_cast<int>(pixel / g.out_w), ox = static_cast<int>(pixel % g.out_w);
        int32_t code_sum = 0;
        for (int kh = 0, k = 0; kh < g.kernel_h; ++kh) {
          for (int kw = 0; kw < g.kernel_w; ++kw, ++k) {
            const int iy = g.in_y0(oy) + kh * g.dilation_h, ix = g.in_x0(ox) + kw * g.dilation_w;
            const bool inside = g.inside(iy, ix);
            const uint64_t* row = inside ? layer.conv.input + (static_cast<int64_t>(iy) * g.in_w + ix) * pixel_words
                                         : p.zero_row.data();
            a_ptrs[(static_cast<int64_t>(t) * p.taps + k) * px + j] = row;
            if (p.epilogue == E::kAndMinusActivationSum && inside) {
              for (int b = 0; b < p.act_bits; ++b) {
                for (int w = 0; w < p.words; ++w) code_sum += popcount(row[b * p.words + w]) << b;
              }
            }
          }
        }
        if (j < tile_count) act_sums[t * px + j] = code_sum;
      }
    }
    // Interior pixels of a one-bit packed output take their bits straight
    // from the tiles (only this block's words); the rest go through the
    // accumulator.
    for (int j = 0; j < count; ++j) {
      const int64_t pixel = base + j;
      direct[j] = p.direct_bits && !is_border(g, static_cast<int>(pixel / g.out_w), static_cast<int>(pixel % g.out_w));
      if (direct[j]) {
        std::memset(layer.out_packed + pixel * out_words + word_begin, 0, sizeof(uint64_t) * (word_end - word_begin));
      }
    }
    // One register tile of pixels t against one block of channels.
    auto run_tile = [&](int t, int block) {
      const int tile_count = std::min(px, count - t * px);
      args.a = a_ptrs + static_cast<int64_t>(t) * p.taps * px;
      args.w = p.weights.data() + block * block_words;
      p.ukernel(args);
      for (int j = 0; j < tile_count; ++j) {
        const int local = t * px + j;
        if (direct[local]) {
          uint64_t* out = layer.out_packed + (base + local) * out_words;
          const int c0 = block * oc, c1 = std::min(c0 + oc, g.out_c);
          uint64_t bits = 0;
          for (int c = c0; c < c1; ++c) {
            bits |= static_cast<uint64_t>((tile[j * oc + c - c0] <= p.bound[c]) != (p.invert[c] != 0)) << (c - c0);
          }
          out[c0 / kWordBits] |= bits << (c0 % kWordBits);  // a block never straddles a word (tile_oc divides 64)
        } else {
          std::memcpy(acc + local * oc_padded + block * oc, tile + j * oc, sizeof(int32_t) * oc);
        }
      }
    };
    for (int block0 = block_begin; block0 < block_end; block0 += p.outer_oc_blocks) {
      const int block1 = std::min(block_end, block0 + p.outer_oc_blocks);
      if (p.channels_outer) {
        for (int block = block0; block < block1; ++block) {
          for (int t = 0; t < tiles; ++t) run_tile(t, block);
        }
      } else {
        for (int t = 0; t < tiles; ++t) {
          for (int block = block0; block < block1; ++block) run_tile(t, block);
        }
      }
    }
    for (int j = 0; j < count; ++j) {
      if (direct[j]) continue;
      const int64_t pixel = base + j;
      const int oy = static_cast<int>(pixel / g.out_w), ox = static_cast<int>(pixel % g.out_w);
      int32_t* a = acc + j * oc_padded;
      switch (p.epilogue) {  // one loop per case, so each vectorizes
        case E::kXor: {
          const int32_t xor_base = static_cast<int32_t>(p.xor_base);
          for (int c = c_begin; c < c_end; ++c) a[c] = xor_base - 2 * a[c];
          break;
        }
        case E::kAnd: break;
        case E::kAndMinusActivationSum: {
          const int32_t sub = static_cast<int32_t>(lw * act_sums[j]);
          for (int c = c_begin; c < c_end; ++c) a[c] = 2 * a[c] - sub;
          break;
        }
        case E::kAndMinusWeightSum:
          for (int c = c_begin; c < c_end; ++c) a[c] = 2 * a[c] - static_cast<int32_t>(la) * p.weight_sums[c];
          break;
      }
      // Border pixels: correct each padded tap.
      if (is_border(g, oy, ox)) {
        for (int kh = 0, k = 0; kh < g.kernel_h; ++kh) {
          for (int kw = 0; kw < g.kernel_w; ++kw, ++k) {
            const int iy = g.in_y0(oy) + kh * g.dilation_h, ix = g.in_x0(ox) + kw * g.dilation_w;
            if (g.inside(iy, ix)) continue;
            for (int c = c_begin; c < c_end; ++c) a[c] += p.padded_tap[static_cast<size_t>(c) * p.taps + k];
          }
        }
      }
      store_bitserial_pixel(layer, pixel, c_begin, c_end, a, acc_f);
    }
  }
}

template <int kTileOc, int kTilePx>
void bgemm_ukernel_portable(const BgemmUkernelArgs& args) {
  int32_t s[kTilePx][kTileOc] = {};
  for (int t = 0; t < args.taps; ++t) {
    const uint64_t* w_tap = args.w + static_cast<int64_t>(t) * args.weight_bits * args.words * kTileOc;
    for (int i = 0; i < args.weight_bits; ++i) {
      for (int j = 0; j < args.act_bits; ++j) {
        for (int k = 0; k < args.words; ++k) {
          const uint64_t* w = w_tap + (static_cast<int64_t>(i) * args.words + k) * kTileOc;
          for (int p = 0; p < kTilePx; ++p) {
            const uint64_t a = args.a[t * kTilePx + p][j * args.words + k];
            for (int o = 0; o < kTileOc; ++o) {
              const uint64_t x = args.xor_op ? (w[o] ^ a) : (w[o] & a);
              s[p][o] += popcount(x) << (i + j);
            }
          }
        }
      }
    }
  }
  std::memcpy(args.s, s, sizeof(s));
}

template void bgemm_ukernel_portable<4, 4>(const BgemmUkernelArgs&);
template void bgemm_ukernel_portable<8, 2>(const BgemmUkernelArgs&);

}  // namespace bnn
