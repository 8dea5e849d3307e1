// SPDX-License-Identifier: Apache-2.0
#include "kernels/bitserial_direct.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <map>

#include "kernels/bitpack.h"
#include "kernels/bitserial_gemm.h"

namespace bnn {
namespace {

// Which window offsets along one axis fall outside [0, in) for each output
// position, as class ids: 0 for none outside, then one id per distinct set.
std::vector<int32_t> axis_classes(int out, int in, int kernel, int stride, int pad, int dilation,
                                  std::vector<uint32_t>* masks) {
  std::vector<int32_t> ids(out);
  std::map<uint32_t, int32_t> seen{{0u, 0}};
  masks->assign(1, 0u);
  for (int o = 0; o < out; ++o) {
    uint32_t mask = 0;
    for (int k = 0; k < kernel; ++k) {
      const int i = o * stride - pad + k * dilation;
      if (i < 0 || i >= in) mask |= 1u << k;
    }
    auto [it, inserted] = seen.emplace(mask, static_cast<int32_t>(masks->size()));
    if (inserted) masks->push_back(mask);
    ids[o] = it->second;
  }
  return ids;
}

int32_t code_sum(const uint64_t* pixel, int act_bits, int words) {
  int32_t sum = 0;
  for (int b = 0; b < act_bits; ++b) {
    for (int w = 0; w < words; ++w) sum += __builtin_popcountll(pixel[b * words + w]) << b;
  }
  return sum;
}

}  // namespace

bool bitserial_direct_supports(const ConvGeometry& g) {
  return g.groups == 1 && g.kernel_h <= 32 && g.kernel_w <= 32;
}

void make_bitserial_direct_plan(BitserialGemmPlan& plan, const BitserialConvLayer& layer, BconvDirectUkernel ukernel,
                                int tile_oc, int tile_px, int band_rows) {
  const ConvGeometry& g = layer.conv.geometry;
  assert(bitserial_direct_supports(g) && tile_oc % 8 == 0 && plan.tile_oc == tile_oc);
  auto d = std::make_shared<BitserialDirectPlan>();
  d->ukernel = ukernel;
  d->tile_oc = tile_oc;
  d->tile_px = tile_px;
  d->oc_padded = plan.oc_blocks * tile_oc;
  d->band_rows = std::max(1, std::min(band_rows, g.out_h));
  // Columns: the left pad, then every column the last tile reads (its phantom
  // pixels too), at least the input and the right pad.
  const int tiles = (g.out_w + tile_px - 1) / tile_px;
  const int64_t last_read = int64_t{tiles * tile_px - 1} * g.stride_w + int64_t{g.kernel_w - 1} * g.dilation_w;
  d->padded_cols = static_cast<int>(std::max<int64_t>(int64_t{g.pad_left} + g.in_w + g.pad_right, last_read + 1));
  const int64_t pixel_words = int64_t{layer.conv.act_bits} * plan.words;
  for (int kh = 0; kh < g.kernel_h; ++kh) {
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      d->tap_offset.push_back((int64_t{kh} * g.dilation_h * d->padded_cols + int64_t{kw} * g.dilation_w) * pixel_words);
    }
  }

  // acc = mul * S + channel_add[c] (+ border, + the pixel's code sum term).
  using E = BitserialGemmPlan::Epilogue;
  const int64_t la = (int64_t{1} << plan.act_bits) - 1, lw = (int64_t{1} << plan.weight_bits) - 1;
  d->channel_add.assign(d->oc_padded, 0);
  for (int c = 0; c < g.out_c; ++c) {
    // Both below 2^24 in magnitude (the validator's bound on any sum).
    if (plan.epilogue == E::kXor) d->channel_add[c] = static_cast<int32_t>(plan.xor_base);
    if (plan.epilogue == E::kAndMinusWeightSum) d->channel_add[c] = static_cast<int32_t>(-la * plan.weight_sums[c]);
  }
  d->activation_sums = plan.epilogue == E::kAndMinusActivationSum;
  d->activation_sum_scale = -lw;

  if (layer.to_bits.thresholds) {
    const int levels = (1 << layer.to_bits.bits) - 1;
    d->thresholds.assign(static_cast<size_t>(levels) * d->oc_padded, 0);
    d->down.assign(d->oc_padded / 8, 0);
    for (int c = 0; c < g.out_c; ++c) {
      const bool down = layer.to_bits.direction && layer.to_bits.direction[c] < 0;
      if (down) d->down[c / 8] |= static_cast<uint8_t>(1u << (c % 8));
      for (int l = 0; l < levels; ++l) {
        // |acc| < 2^24, so a threshold beyond +-2^25 decides as +-2^25 does,
        // and the int32 lanes of the kernel's comparison hold T + 1.
        const int32_t t = std::clamp(layer.to_bits.thresholds[static_cast<int64_t>(c) * levels + l], -(1 << 25), 1 << 25);
        d->thresholds[static_cast<size_t>(l) * d->oc_padded + c] = t + (down ? 1 : 0);
      }
    }
    // On S: acc = mul * S + add >= T is, for mul -2, S <= floor((add - T) / 2),
    // i.e. !(S >= that + 1); for 1, S >= T - add; for 2, S >= ceil((T - add) / 2).
    // |T| <= 2^25 + 1 and |add| < 2^24: every U fits int32.
    const int mul = plan.epilogue == E::kXor ? -2 : plan.epilogue == E::kAnd ? 1 : 2;
    auto floor_div2 = [](int64_t x) { return x >= 0 ? x / 2 : -((-x + 1) / 2); };
    d->sum_thresholds.assign(d->thresholds.size(), 0);
    d->sum_flip = d->down;
    if (mul < 0) {
      for (uint8_t& f : d->sum_flip) f = static_cast<uint8_t>(~f);
    }
    for (size_t i = 0; i < d->thresholds.size(); ++i) {
      const int64_t t = d->thresholds[i], add = d->channel_add[i % d->oc_padded];
      const int64_t u = mul == -2 ? floor_div2(add - t) + 1 : mul == 1 ? t - add : -floor_div2(add - t);
      d->sum_thresholds[i] = static_cast<int32_t>(u);
    }
  }

  // Border classes: for each pair of (padded window rows, padded window
  // columns), the sum of padded_tap over the taps in either.
  std::vector<uint32_t> row_masks, col_masks;
  d->row_class = axis_classes(g.out_h, g.in_h, g.kernel_h, g.stride_h, g.pad_top, g.dilation_h, &row_masks);
  d->col_class = axis_classes(g.out_w, g.in_w, g.kernel_w, g.stride_w, g.pad_left, g.dilation_w, &col_masks);
  d->col_classes = static_cast<int>(col_masks.size());
  d->border.assign(row_masks.size() * col_masks.size() * d->oc_padded, 0);
  for (size_t r = 0; r < row_masks.size(); ++r) {
    for (size_t q = 0; q < col_masks.size(); ++q) {
      int32_t* row = d->border.data() + (r * col_masks.size() + q) * d->oc_padded;
      for (int kh = 0, t = 0; kh < g.kernel_h; ++kh) {
        for (int kw = 0; kw < g.kernel_w; ++kw, ++t) {
          if (!((row_masks[r] >> kh) & 1u) && !((col_masks[q] >> kw) & 1u)) continue;
          for (int c = 0; c < g.out_c; ++c) row[c] += plan.padded_tap[static_cast<size_t>(c) * plan.taps + t];
        }
      }
    }
  }
  plan.direct = std::move(d);
}

namespace {

int band_input_rows(const ConvGeometry& g, int rows) {
  return (rows - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1;
}

}  // namespace

size_t bitserial_direct_scratch_bytes(const BitserialGemmPlan& plan, const ConvGeometry& g) {
  const BitserialDirectPlan& d = *plan.direct;
  const size_t cells = static_cast<size_t>(band_input_rows(g, d.band_rows)) * d.padded_cols;
  return cells * sizeof(uint64_t) * plan.act_bits * plan.words  // the padded band
         + (d.activation_sums ? cells * sizeof(int32_t) : 0)    // each padded pixel's code sum
         + d.tile_px * (sizeof(const int32_t*) + sizeof(int32_t)) + 64;
}

void bitserial_direct_run(const BitserialGemmPlan& plan, const BitserialConvLayer& layer, const OutputBlock& block,
                          void* scratch) {
  const BitserialDirectPlan& d = *plan.direct;
  const ConvGeometry& g = layer.conv.geometry;
  assert(block.channel_begin % d.tile_oc == 0);
  const int64_t pixel_words = int64_t{plan.act_bits} * plan.words;
  const int64_t row_words = int64_t{d.padded_cols} * pixel_words;
  const int max_in_rows = band_input_rows(g, d.band_rows);
  auto* band = static_cast<uint64_t*>(scratch);
  auto* sums = reinterpret_cast<int32_t*>(band + max_in_rows * row_words);  // [rows][padded_cols] when needed
  const uintptr_t after_sums = reinterpret_cast<uintptr_t>(sums + (d.activation_sums ? int64_t{max_in_rows} * d.padded_cols : 0));
  auto* corr = reinterpret_cast<const int32_t**>((after_sums + 7) & ~uintptr_t{7});
  auto* pixel_add = reinterpret_cast<int32_t*>(corr + d.tile_px);

  BconvDirectEpilogue e;
  e.mul = plan.epilogue == BitserialGemmPlan::Epilogue::kXor ? -2
          : plan.epilogue == BitserialGemmPlan::Epilogue::kAnd ? 1 : 2;
  e.out_c = g.out_c;
  e.oc_stride = d.oc_padded;
  e.channel_add = d.channel_add.data();
  if (layer.out_packed) {
    e.out_bits = layer.to_bits.bits;
    e.thresholds = d.thresholds.data();
    e.down = d.down.data();
    e.sum_thresholds = d.sum_thresholds.data();
    e.sum_flip = d.sum_flip.data();
    e.out_packed = layer.out_packed;
  } else {
    e.transform = layer.to_float;
    e.residual = layer.residual;
    e.pixels = int64_t{g.out_h} * g.out_w;
    e.out_float = layer.out_float;
    e.quantize = layer.quantize;
  }
  BconvDirectArgs args;
  args.tap_offset = d.tap_offset.data();
  args.pixel_stride = int64_t{g.stride_w} * pixel_words;
  args.taps = plan.taps;
  args.words = plan.words;
  args.weight_bits = plan.weight_bits;
  args.act_bits = plan.act_bits;
  args.xor_op = plan.epilogue == BitserialGemmPlan::Epilogue::kXor;
  args.e = &e;
  const int64_t block_words = int64_t{plan.taps} * plan.weight_bits * plan.words * d.tile_oc;
  const int block_begin = block.channel_begin / d.tile_oc, block_end = (block.channel_end + d.tile_oc - 1) / d.tile_oc;
  // Bits of the last packed word past out_c, which no tile writes, stay 0.
  const int64_t out_words = words_for(g.out_c);
  const int tail_byte = (g.out_c + 7) / 8 % 8;
  const bool zero_tail = layer.out_packed && tail_byte != 0 && block.channel_end == g.out_c;
  const bool zero_quantize_tail = layer.quantize.packed && tail_byte != 0 && block.channel_end == g.out_c;

  // The stretch of a row's tiles [span_begin, span_end) that are full and
  // clear of the side borders: on an interior row, one call per channel
  // block runs them all (BconvDirectArgs::tiles).
  const int row_tiles = (g.out_w + d.tile_px - 1) / d.tile_px;
  auto clear = [&](int t) {
    if ((t + 1) * d.tile_px > g.out_w) return false;
    for (int p = 0; p < d.tile_px; ++p) {
      if (d.col_class[t * d.tile_px + p] != 0) return false;
    }
    return true;
  };
  int span_begin = 0;
  while (span_begin < row_tiles && !clear(span_begin)) ++span_begin;
  int span_end = span_begin;
  while (span_end < row_tiles && clear(span_end)) ++span_end;
  if (d.activation_sums || span_end - span_begin < 2) span_begin = span_end = row_tiles;

  for (int r0 = block.row_begin; r0 < block.row_end; r0 += d.band_rows) {
    const int r1 = std::min(block.row_end, r0 + d.band_rows);
    const int iy0 = r0 * g.stride_h - g.pad_top, in_rows = band_input_rows(g, r1 - r0);
    for (int br = 0; br < in_rows; ++br) {
      uint64_t* dst = band + br * row_words;
      const int iy = iy0 + br;
      if (iy < 0 || iy >= g.in_h) {
        std::memset(dst, 0, sizeof(uint64_t) * row_words);
        continue;
      }
      const int64_t left = int64_t{g.pad_left} * pixel_words, inside = int64_t{g.in_w} * pixel_words;
      std::memset(dst, 0, sizeof(uint64_t) * left);
      std::memcpy(dst + left, layer.conv.input + int64_t{iy} * inside, sizeof(uint64_t) * inside);
      std::memset(dst + left + inside, 0, sizeof(uint64_t) * (row_words - left - inside));
    }
    if (d.activation_sums) {
      for (int64_t cell = 0; cell < int64_t{in_rows} * d.padded_cols; ++cell) {
        sums[cell] = code_sum(band + cell * pixel_words, plan.act_bits, plan.words);
      }
    }
    for (int oy = r0; oy < r1; ++oy) {
      const int64_t origin_row = int64_t{oy - r0} * g.stride_h;  // band row of the window's top
      const int32_t* border_rows = d.border.data() + int64_t{d.row_class[oy]} * d.col_classes * d.oc_padded;
      auto run_tile = [&](int ox0, int b) {
        const int pixels = std::min(d.tile_px, g.out_w - ox0);
        args.a = band + origin_row * row_words + int64_t{ox0} * g.stride_w * pixel_words;
        args.pixels = pixels;
        args.out_pixel = int64_t{oy} * g.out_w + ox0;
        bool interior = d.row_class[oy] == 0;
        for (int p = 0; p < pixels && interior; ++p) interior = d.col_class[ox0 + p] == 0;
        args.corr = nullptr;
        if (!interior) {
          for (int p = 0; p < d.tile_px; ++p) {
            corr[p] = border_rows + int64_t{d.col_class[std::min(ox0 + p, g.out_w - 1)]} * d.oc_padded;
          }
          args.corr = corr;
        }
        args.pixel_add = nullptr;
        if (d.activation_sums) {
          for (int p = 0; p < d.tile_px; ++p) {
            int64_t sum = 0;
            if (p < pixels) {
              const int64_t cell0 = origin_row * d.padded_cols + int64_t{ox0 + p} * g.stride_w;
              for (int t = 0; t < plan.taps; ++t) sum += sums[cell0 + d.tap_offset[t] / pixel_words];
            }
            pixel_add[p] = static_cast<int32_t>(d.activation_sum_scale * sum);
          }
          args.pixel_add = pixel_add;
        }
        args.c0 = b * d.tile_oc;
        args.w = plan.weights.data() + b * block_words;
        d.ukernel(args);
      };
      auto run_span = [&](int b) {
        args.a = band + origin_row * row_words + int64_t{span_begin} * d.tile_px * g.stride_w * pixel_words;
        args.pixels = d.tile_px;
        args.out_pixel = int64_t{oy} * g.out_w + int64_t{span_begin} * d.tile_px;
        args.corr = nullptr;
        args.pixel_add = nullptr;
        args.c0 = b * d.tile_oc;
        args.w = plan.weights.data() + b * block_words;
        args.tiles = span_end - span_begin;
        d.ukernel(args);
        args.tiles = 1;
      };
      // Tiles [0, s0) and [s1, row_tiles) one call each, [s0, s1) as a span.
      const bool spans = d.row_class[oy] == 0 && span_begin < span_end;
      const int s0 = spans ? span_begin : row_tiles, s1 = spans ? span_end : row_tiles;
      if (plan.channels_outer) {
        for (int b = block_begin; b < block_end; ++b) {
          for (int t = 0; t < s0; ++t) run_tile(t * d.tile_px, b);
          if (spans) run_span(b);
          for (int t = s1; t < row_tiles; ++t) run_tile(t * d.tile_px, b);
        }
      } else {
        for (int t = 0; t < s0; ++t) {
          for (int b = block_begin; b < block_end; ++b) run_tile(t * d.tile_px, b);
        }
        if (spans) {
          for (int b = block_begin; b < block_end; ++b) run_span(b);
        }
        for (int t = s1; t < row_tiles; ++t) {
          for (int b = block_begin; b < block_end; ++b) run_tile(t * d.tile_px, b);
        }
      }
      if (zero_tail) {
        for (int ox = 0; ox < g.out_w; ++ox) {
          const int64_t pixel = int64_t{oy} * g.out_w + ox;
          for (int bit = 0; bit < layer.to_bits.bits; ++bit) {
            uint8_t* word = reinterpret_cast<uint8_t*>(layer.out_packed + (pixel * layer.to_bits.bits + bit + 1) * out_words - 1);
            std::memset(word + tail_byte, 0, 8 - tail_byte);
          }
        }
      }
      if (zero_quantize_tail) {
        for (int ox = 0; ox < g.out_w; ++ox) {
          uint8_t* word = reinterpret_cast<uint8_t*>(layer.quantize.packed + (int64_t{oy} * g.out_w + ox + 1) * out_words - 1);
          std::memset(word + tail_byte, 0, 8 - tail_byte);
        }
      }
    }
  }
}

}  // namespace bnn
