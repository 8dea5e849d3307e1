// SPDX-License-Identifier: Apache-2.0
#include "kernels/ref/bitserial_conv.h"

#include <cassert>

#include "kernels/bitpack.h"

namespace bnn {
namespace {

inline int popcount(uint64_t x) { return __builtin_popcountll(x); }

// Sum over n channels of w(c) * a(c) for one weight plane and one activation
// plane, each channel a single bit read through its encoding: bipolar bit b is
// the value 2b - 1, unipolar bit b is b. Bits past n are 0 in both planes.
//   bipolar  x bipolar : sum (2w-1)(2a-1) = n - 2 popcount(w ^ a)
//   unipolar x unipolar: sum w a          = popcount(w & a)
//   bipolar  x unipolar: sum (2w-1) a     = 2 popcount(w & a) - popcount(a)
//   unipolar x bipolar : sum w (2a-1)     = 2 popcount(w & a) - popcount(w)
int64_t plane_dot(const uint64_t* w, const uint64_t* a, int64_t words, int n, Encoding we, Encoding ae) {
  int64_t both = 0, w_ones = 0, a_ones = 0, differ = 0;
  for (int64_t k = 0; k < words; ++k) {
    both += popcount(w[k] & a[k]);
    w_ones += popcount(w[k]);
    a_ones += popcount(a[k]);
    differ += popcount(w[k] ^ a[k]);
  }
  const bool wb = we == Encoding::kBipolar, ab = ae == Encoding::kBipolar;
  if (wb && ab) return n - 2 * differ;
  if (!wb && !ab) return both;
  if (wb) return 2 * both - a_ones;
  return 2 * both - w_ones;
}

}  // namespace

int64_t weight_tap_sum(const uint64_t* w, int64_t words, int n, int bits, Encoding we) {
  int64_t sum = 0;
  for (int i = 0; i < bits; ++i) {
    int64_t ones = 0;
    for (int64_t k = 0; k < words; ++k) ones += popcount(w[i * words + k]);
    const int64_t plane = we == Encoding::kBipolar ? 2 * ones - n : ones;
    sum += plane * (int64_t{1} << i);
  }
  return sum;
}


size_t bitserial_conv2d_ref_scratch_bytes(const ConvGeometry& g, int act_bits) {
  // One channel group of one input pixel (all planes), the integer
  // accumulators, and their float copies for the float transform.
  return sizeof(uint64_t) * act_bits * words_for(g.in_c_per_group()) + (sizeof(int32_t) + sizeof(float)) * g.out_c;
}

void bitserial_conv_pixel_ref(const BitserialConvArgs& a, int oy, int ox, int32_t* acc, uint64_t* scratch) {
  const ConvGeometry& g = a.geometry;
  const int cg = g.in_c_per_group();
  const int og = g.out_c_per_group();
  const int64_t in_words = words_for(g.in_c);
  const int64_t group_words = words_for(cg);
  const int64_t in_pixel_words = static_cast<int64_t>(a.act_bits) * in_words;
  const int64_t w_tap_words = static_cast<int64_t>(a.weight_bits) * group_words;

  for (int oc = 0; oc < g.out_c; ++oc) {
    const int group = oc / og;
    int64_t sum = 0;
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        const uint64_t* w = a.weights + ((static_cast<int64_t>(oc) * g.kernel_h + kh) * g.kernel_w + kw) * w_tap_words;
        const int iy = g.in_y0(oy) + kh * g.dilation_h;
        const int ix = g.in_x0(ox) + kw * g.dilation_w;
        if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) {
          // A padded tap: 0 contributes nothing; -1 contributes minus the weights' sum.
          if (a.pad_value == PadValue::kMinusOne) {
            sum -= weight_tap_sum(w, group_words, cg, a.weight_bits, a.weight_encoding);
          }
          continue;
        }
        const uint64_t* pixel = a.input + (static_cast<int64_t>(iy) * g.in_w + ix) * in_pixel_words;
        // Planes of this group's channels, contiguous: either the row itself
        // (one group) or a copy cut out of it.
        const uint64_t* act = pixel;
        int64_t act_plane_stride = in_words;
        if (g.groups != 1) {
          for (int j = 0; j < a.act_bits; ++j) {
            extract_bits(pixel + j * in_words, group * cg, cg, scratch + j * group_words);
          }
          act = scratch;
          act_plane_stride = group_words;
        }
        for (int i = 0; i < a.weight_bits; ++i) {
          for (int j = 0; j < a.act_bits; ++j) {
            const int64_t dot = plane_dot(w + i * group_words, act + j * act_plane_stride, group_words, cg,
                                          a.weight_encoding, a.act_encoding);
            sum += dot * (int64_t{1} << (i + j));  // dot may be negative: multiply, never shift it
          }
        }
      }
    }
    acc[oc] = static_cast<int32_t>(sum);
  }
}

void store_bitserial_pixel(const BitserialConvLayer& layer, int64_t pixel, int begin, int end, const int32_t* acc,
                           float* acc_f) {
  const int channels = layer.conv.geometry.out_c;
  if (layer.out_packed) {
    transform_to_bits(acc, channels, begin, end, layer.to_bits,
                      layer.out_packed + pixel * packed_row_words(channels, layer.to_bits.bits));
    return;
  }
  for (int c = begin; c < end; ++c) acc_f[c] = static_cast<float>(acc[c]);  // exact: |acc| < 2^24
  const float* residual = layer.residual ? layer.residual + pixel * channels : nullptr;
  transform_to_float(acc_f, begin, end, layer.to_float, residual, layer.out_float + pixel * channels);
  if (layer.quantize.packed) {
    quantize_to_bits(layer.out_float + pixel * channels, channels, begin, end, layer.quantize,
                     layer.quantize.packed + pixel * words_for(channels));
  }
}

void bitserial_conv2d_ref(const BitserialConvLayer& layer, int row_begin, int row_end, void* scratch) {
  const ConvGeometry& g = layer.conv.geometry;
  assert((layer.out_float != nullptr) != (layer.out_packed != nullptr));
  uint64_t* group_scratch = static_cast<uint64_t*>(scratch);
  int32_t* acc = reinterpret_cast<int32_t*>(group_scratch + layer.conv.act_bits * words_for(g.in_c_per_group()));
  // Float copies of the accumulators, exact since |acc| < 2^24.
  float* acc_f = reinterpret_cast<float*>(acc + g.out_c);
  for (int oy = row_begin; oy < row_end; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      bitserial_conv_pixel_ref(layer.conv, oy, ox, acc, group_scratch);
      store_bitserial_pixel(layer, static_cast<int64_t>(oy) * g.out_w + ox, 0, g.out_c, acc, acc_f);
    }
  }
}

}  // namespace bnn
