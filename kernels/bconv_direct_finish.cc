// SPDX-License-Identifier: Apache-2.0
#include "kernels/bconv_direct_finish.h"

#include <algorithm>
#include <cassert>

#include "kernels/bitpack.h"

namespace bnn {
namespace {

// The transform's per-channel tables from channel c0 on, so that a tile's
// channels are [0, lanes) of it (transform_to_float indexes by channel).
FloatTransform from_channel(FloatTransform t, int c0) {
  auto at = [c0](const float* p) { return p ? p + c0 : nullptr; };
  t.scale = at(t.scale);
  t.bias = at(t.bias);
  t.activation.slope = at(t.activation.slope);
  t.activation.shift_in = at(t.activation.shift_in);
  t.activation.shift_out = at(t.activation.shift_out);
  return t;
}

// Codes of channels [c0, c0 + lanes) as out_bits planes of bytes:
// code = #{ l : (acc >= thresholds[l][c]) ^ down[c] } (the plan stores T + 1
// for downward channels, bconv_direct_ukernel.h).
void store_codes(const int32_t* acc, int lanes, int c0, const BconvDirectEpilogue& e, uint8_t* row, int64_t words) {
  constexpr int kMaxBits = 4;  // the widest code a model holds
  assert(e.out_bits <= kMaxBits);
  const int levels = (1 << e.out_bits) - 1;
  for (int c8 = 0; c8 < lanes; c8 += 8) {
    uint8_t planes[kMaxBits] = {};
    for (int c = c8; c < std::min(c8 + 8, lanes); ++c) {
      const int ch = c0 + c;
      const bool down = (e.down[ch / 8] >> (ch % 8)) & 1;
      int code = 0;
      for (int l = 0; l < levels; ++l) code += (acc[c] >= e.thresholds[l * e.oc_stride + ch]) != down;
      for (int b = 0; b < e.out_bits; ++b) planes[b] |= static_cast<uint8_t>(((code >> b) & 1) << (c % 8));
    }
    for (int b = 0; b < e.out_bits; ++b) row[b * words * 8 + (c0 + c8) / 8] = planes[b];
  }
}

// The fused one-bit quantize of the stored floats y (quantize_ref's rule:
// v >= t, false for NaN), as bytes of the pixel's packed row.
void store_quantized(const float* y, int lanes, int c0, const FusedQuantize& q, uint8_t* row) {
  for (int c8 = 0; c8 < lanes; c8 += 8) {
    uint8_t byte = 0;
    for (int c = c8; c < std::min(c8 + 8, lanes); ++c) {
      const int ch = c0 + c;
      float v = y[c];
      if (q.scale) v = v * q.scale[ch];
      if (q.bias) v = v + q.bias[ch];
      byte |= static_cast<uint8_t>((v >= q.thresholds[ch]) << (c % 8));
    }
    row[(c0 + c8) / 8] = byte;
  }
}

}  // namespace

void bconv_direct_finish(const int32_t* sums, int tile_oc, const BconvDirectArgs& a) {
  assert(tile_oc <= kDirectFinishMaxOc);
  const BconvDirectEpilogue& e = *a.e;
  const int c0 = a.c0, lanes = std::min(tile_oc, e.out_c - c0);
  const int64_t words = words_for(e.out_c);
  const FloatTransform transform = from_channel(e.transform, c0);
  int32_t acc[kDirectFinishMaxOc];
  float y[kDirectFinishMaxOc];
  for (int p = 0; p < a.pixels; ++p) {
    const int64_t pixel = a.out_pixel + p;
    const int32_t* s = sums + p * tile_oc;
    const int32_t* corr = a.corr ? a.corr[p] + c0 : nullptr;
    const int32_t pixel_add = a.pixel_add ? a.pixel_add[p] : 0;
    // |acc| < 2^24 (the validator's bound): int32 and float hold it exactly.
    for (int c = 0; c < lanes; ++c) acc[c] = e.mul * s[c] + e.channel_add[c0 + c] + (corr ? corr[c] : 0) + pixel_add;
    if (e.out_packed) {
      store_codes(acc, lanes, c0, e, reinterpret_cast<uint8_t*>(e.out_packed + pixel * e.out_bits * words), words);
      continue;
    }
    for (int c = 0; c < lanes; ++c) y[c] = static_cast<float>(acc[c]);
    float* out = e.out_float + pixel * e.out_c + c0;
    transform_to_float(y, 0, lanes, transform, e.residual ? e.residual + pixel * e.out_c + c0 : nullptr, out);
    if (e.quantize.packed) {
      store_quantized(out, lanes, c0, e.quantize, reinterpret_cast<uint8_t*>(e.quantize.packed + pixel * words));
    }
  }
}

}  // namespace bnn
