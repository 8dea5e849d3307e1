// SPDX-License-Identifier: Apache-2.0
// AVX-512 VPOPCNTDQ direct bitserial convolution microkernels (the contract
// is bconv_direct_ukernel.h): kOcv zmm of 8 output channels x kPx pixels of
// one output row, all accumulators in registers; then the tile's sums, as
// int32 in a stack buffer that stays in L1, go through the output transform
// of the layer's kind (finish_bits, finish_float). No per-pixel pointer table.
//
// The inner step per word of depth: kOcv weight loads, then per pixel a
// broadcast and per weight vector an XOR (AND), a vpopcntq and an add, 512
// binary MACs each. Plane pairs are summed by Horner's rule over their weight
// 2^(i+j): the accumulators double once per weight level, never per popcount.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // see bgemm-8xN.inc
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12 _mm512_cvtepi64_epi32's undefined source
#endif
#include <immintrin.h>

#include <cassert>
#include <cstring>

#include "kernels/bconv_direct_ukernel.h"

namespace bnn::avx512vpopcnt {
namespace {

// Not std::min: an ISA file calls no inline function of a shared header (an
// unoptimized build could emit its copy here for every caller to link).
inline int min_int(int a, int b) { return a < b ? a : b; }

// kWords, kStride: the depth in words and the pixel stride when known at
// compile time (0: read from the args). Known, the broadcasts address by
// constant displacements: no index register per pixel, no spills.
template <int kOcv, int kPx, bool kXor, int kWords, int kStride>
inline void accumulate(const BconvDirectArgs& a, int i, int j, __m512i (&acc)[kOcv][kPx]) {
  const int words = kWords ? kWords : a.words;
  const int64_t stride = kStride ? kStride : a.pixel_stride;
  for (int t = 0; t < a.taps; ++t) {
    const uint64_t* at = a.a + a.tap_offset[t] + j * words;
    const uint64_t* wt = a.w + (static_cast<int64_t>(t) * a.weight_bits + i) * words * (kOcv * 8);
    for (int k = 0; k < words; ++k) {
      __m512i w[kOcv];
#pragma GCC unroll 8
      for (int v = 0; v < kOcv; ++v) w[v] = _mm512_loadu_si512(wt + (k * kOcv + v) * 8);
#pragma GCC unroll 32
      for (int p = 0; p < kPx; ++p) {
        const __m512i b = _mm512_set1_epi64(static_cast<long long>(at[p * stride + k]));
#pragma GCC unroll 8
        for (int v = 0; v < kOcv; ++v) {
          const __m512i x = kXor ? _mm512_xor_si512(w[v], b) : _mm512_and_si512(w[v], b);
          acc[v][p] = _mm512_add_epi64(acc[v][p], _mm512_popcnt_epi64(x));
        }
      }
    }
  }
}

// The epilogue works on the tile's sums, stored as int32 [kPx][tile_oc]
// (each count below 2^24), 16 channels a step. It is one compact function
// per output kind, called once per tile, not code unrolled into every tile
// shape and depth: inlined per pixel and channel group it made each kernel
// ~40 KB whose epilogue missed the instruction cache on every tile (42% of a
// 56x56 layer's time) and took minutes to compile.
struct Group {  // channels c.. of one pixel: `lanes` valid (1-16)
  int c, lanes;
  __mmask16 valid;
};

inline Group group_at(int c0, int g, int lanes_total) {
  const int lanes = min_int(16, lanes_total - 16 * g);
  return {c0 + 16 * g, lanes, static_cast<__mmask16>(lanes >= 16 ? 0xffff : (1u << lanes) - 1)};
}

inline __m512i load_i(__mmask16 m, const int32_t* p) { return _mm512_maskz_loadu_epi32(m, p); }
inline __m512 load_f(__mmask16 m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }

// The bits of one group's mask at `at` (channel c's byte): a full group's
// mask as one store, a partial group's valid lanes only.
inline void store_mask(uint8_t* at, __mmask16 m, const Group& g) {
  if (g.lanes >= 16) {
    std::memcpy(at, &m, sizeof m);
    return;
  }
  m &= g.valid;
  at[0] = static_cast<uint8_t>(m);
  if (g.lanes > 8) at[1] = static_cast<uint8_t>(m >> 8);
}

inline __mmask16 flip_bits(const uint8_t* flip, const Group& g) {
  return static_cast<__mmask16>(flip[g.c / 8] | (g.lanes > 8 ? flip[g.c / 8 + 1] << 8 : 0));
}

// One-bit codes of one group: (x >= t[c]) ^ flip[c], valid lanes only.
inline __mmask16 one_bit_codes(__m512i x, const int32_t* thresholds, const uint8_t* flips, const Group& g) {
  return _mm512_mask_cmpge_epi32_mask(g.valid, x, load_i(g.valid, thresholds + g.c)) ^ flip_bits(flips, g);
}

// Sums of 16 channels from two accumulator vectors of 64-bit lane counts
// (each below 2^24, so its low dword is the count): their even dwords, one
// permute. Of 8 channels from one vector: its lanes narrowed.
inline __m512i pair_sums(__m512i lo, __m512i hi) {
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  return _mm512_permutex2var_epi32(lo, even, hi);
}
inline __m256i tail_sums(__m512i v) { return _mm512_cvtepi64_epi32(v); }

// acc = mul * S + channel_add (+ the pixel's border correction and term).
inline __m512i accumulator(__m512i s, const Group& g, int p, const BconvDirectArgs& a, const BconvDirectEpilogue& e) {
  if (e.mul != 1) s = _mm512_add_epi32(s, s);
  const __m512i add = load_i(g.valid, e.channel_add + g.c);
  __m512i x = e.mul < 0 ? _mm512_sub_epi32(add, s) : _mm512_add_epi32(s, add);
  if (a.corr) x = _mm512_add_epi32(x, load_i(g.valid, a.corr[p] + g.c));
  if (a.pixel_add) x = _mm512_add_epi32(x, _mm512_set1_epi32(a.pixel_add[p]));
  return x;
}

// Packed output: code = #{ l : (x >= t[l][c]) ^ flip[c] } as out_bits bit
// planes. On S (no corrections, no pixel term) x is the sum itself and the
// plan's thresholds moved onto it: one compare a level.
__attribute__((noinline)) void finish_bits(const int32_t* sums, int tile_oc, const BconvDirectArgs& a,
                                           const BconvDirectEpilogue& e) {
  const bool on_s = e.sum_thresholds && !a.corr && !a.pixel_add;
  const int32_t* thresholds = on_s ? e.sum_thresholds : e.thresholds;
  const uint8_t* flips = on_s ? e.sum_flip : e.down;
  const int lanes_total = min_int(tile_oc, e.out_c - a.c0), out_bits = e.out_bits, levels = (1 << out_bits) - 1;
  const int64_t words = (e.out_c + 63) / 64;
  uint64_t* const out_packed = e.out_packed;
  for (int p = 0; p < a.pixels; ++p) {
    uint8_t* row = reinterpret_cast<uint8_t*>(out_packed + (a.out_pixel + p) * out_bits * words);
    for (int gi = 0; 16 * gi < lanes_total; ++gi) {
      const Group g = group_at(a.c0, gi, lanes_total);
      __m512i x = load_i(g.valid, sums + p * tile_oc + 16 * gi);
      if (!on_s) x = accumulator(x, g, p, a, e);
      const __mmask16 flip = flip_bits(flips, g);
      if (out_bits == 1) {
        store_mask(row + g.c / 8, one_bit_codes(x, thresholds, flips, g), g);
        continue;
      }
      __m512i count = _mm512_setzero_si512();
      for (int l = 0; l < levels; ++l) {
        const __mmask16 m = _mm512_cmpge_epi32_mask(x, load_i(g.valid, thresholds + l * e.oc_stride + g.c)) ^ flip;
        count = _mm512_mask_add_epi32(count, m, count, _mm512_set1_epi32(1));
      }
      for (int b = 0; b < out_bits; ++b) {
        store_mask(row + b * words * 8 + g.c / 8, _mm512_test_epi32_mask(count, _mm512_set1_epi32(1 << b)), g);
      }
    }
  }
}

// Float output: transform_to_float's steps, each rounding on its own, then
// the fused one-bit quantize of the stored value (quantize_ref's rule).
template <ActivationKind kKind>
__attribute__((noinline)) void finish_float(const int32_t* sums, int tile_oc, const BconvDirectArgs& a,
                                            const BconvDirectEpilogue& e) {
  const FloatTransform& t = e.transform;
  const ActivationParams& act = t.activation;
  const FusedQuantize& q = e.quantize;
  const int lanes_total = min_int(tile_oc, e.out_c - a.c0);
  const int64_t words = (e.out_c + 63) / 64;
  const __m512 zero = _mm512_setzero_ps();
  for (int p = 0; p < a.pixels; ++p) {
    const int64_t pixel = a.out_pixel + p;
    float* out = e.out_float + pixel * e.out_c;
    const float* residual = e.residual ? e.residual + pixel * e.out_c : nullptr;
    for (int gi = 0; 16 * gi < lanes_total; ++gi) {
      const Group g = group_at(a.c0, gi, lanes_total);
      const int c = g.c;
      const __mmask16 valid = g.valid;
      // exact: |acc| < 2^24
      __m512 y = _mm512_cvtepi32_ps(accumulator(load_i(valid, sums + p * tile_oc + 16 * gi), g, p, a, e));
      if (t.scale) y = _mm512_mul_ps(y, load_f(valid, t.scale + c));
      if (t.bias) y = _mm512_add_ps(y, load_f(valid, t.bias + c));
      if (residual && !t.residual_after_activation) y = _mm512_add_ps(y, load_f(valid, residual + c));
      if constexpr (kKind == ActivationKind::kRelu) {  // x < 0 ? 0 : x (NaN and -0 pass through)
        y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, zero, _CMP_LT_OQ), zero);
      } else if constexpr (kKind == ActivationKind::kPrelu) {  // x >= 0 ? x : slope * x
        const __m512 scaled = _mm512_mul_ps(y, load_f(valid, act.slope + c));
        y = _mm512_mask_mov_ps(scaled, _mm512_cmp_ps_mask(y, zero, _CMP_GE_OQ), y);
      } else if constexpr (kKind == ActivationKind::kRprelu) {
        const __m512 shifted = _mm512_sub_ps(y, load_f(valid, act.shift_in + c));
        const __m512 scaled = _mm512_mul_ps(shifted, load_f(valid, act.slope + c));
        y = _mm512_mask_mov_ps(scaled, _mm512_cmp_ps_mask(shifted, zero, _CMP_GE_OQ), shifted);
        y = _mm512_add_ps(y, load_f(valid, act.shift_out + c));
      } else if constexpr (kKind == ActivationKind::kHardtanh) {  // x < min ? min : (x > max ? max : x)
        const __m512 lo = _mm512_set1_ps(act.min_value), hi = _mm512_set1_ps(act.max_value);
        const __m512 r = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, hi, _CMP_GT_OQ), hi);
        y = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(y, lo, _CMP_LT_OQ), lo);
      }
      if (residual && t.residual_after_activation) y = _mm512_add_ps(y, load_f(valid, residual + c));
      _mm512_mask_storeu_ps(out + c, valid, y);
      if (!q.packed) continue;
      __m512 v = y;  // the stored value, as quantize_ref reads it
      if (q.scale) v = _mm512_mul_ps(v, load_f(valid, q.scale + c));
      if (q.bias) v = _mm512_add_ps(v, load_f(valid, q.bias + c));
      // v >= t, false for NaN (ordered, non-signalling): quantize_ref's rule.
      const __mmask16 m = _mm512_mask_cmp_ps_mask(valid, v, load_f(valid, q.thresholds + c), _CMP_GE_OQ);
      store_mask(reinterpret_cast<uint8_t*>(q.packed + pixel * words) + c / 8, m, g);
    }
  }
}

using FinishFn = void (*)(const int32_t*, int, const BconvDirectArgs&, const BconvDirectEpilogue&);

FinishFn finish_for(const BconvDirectEpilogue& e) {
  if (e.out_packed) return finish_bits;
  FinishFn f = nullptr;
  with_activation_kind(e.transform.activation.kind, [&](auto kind) { f = finish_float<decltype(kind)::value>; });
  return f;
}

// The tile's 64-bit lane counts as int32 sums [kPx][kOcv * 8].
template <int kOcv, int kPx>
__attribute__((always_inline)) inline void store_sums(const __m512i (&acc)[kOcv][kPx], int32_t* sums) {
#pragma GCC unroll 32
  for (int p = 0; p < kPx; ++p) {
#pragma GCC unroll 8
    for (int v = 0; v + 1 < kOcv; v += 2) {
      _mm512_storeu_si512(sums + p * kOcv * 8 + 8 * v, pair_sums(acc[v][p], acc[v + 1][p]));
    }
    if constexpr (kOcv % 2 == 1) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(sums + p * kOcv * 8 + 8 * (kOcv - 1)), tail_sums(acc[kOcv - 1][p]));
    }
  }
}

// finish_bits for one-bit codes, every channel of the tile valid (the
// binary-to-binary layers of a ResNet), straight from the accumulators.
//
// On S (no corrections, no pixel term) each 64-bit lane count meets its
// threshold as it is: one compare per 8 channels gives a byte of codes, one
// store per pixel writes the tile's kOcv bytes. Narrowing the counts to
// int32 first (a permute per 16 channels) gave the shuffle port as much work
// as the popcounts on the 1x1 layers (C3: 31% of peak against 36% now).
template <int kOcv, int kPx>
__attribute__((always_inline)) inline void codes_on_s(const __m512i (&acc)[kOcv][kPx], const BconvDirectArgs& a,
                                                      const BconvDirectEpilogue& e) {
  const int64_t words = (e.out_c + 63) / 64;
  uint8_t* const first = reinterpret_cast<uint8_t*>(e.out_packed + a.out_pixel * words) + a.c0 / 8;
  __m512i t[kOcv];
#pragma GCC unroll 8
  for (int v = 0; v < kOcv; ++v) {
    t[v] = _mm512_cvtepi32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(e.sum_thresholds + a.c0 + 8 * v)));
  }
  uint64_t flip = 0;
  std::memcpy(&flip, e.sum_flip + a.c0 / 8, kOcv);
#pragma GCC unroll 32
  for (int p = 0; p < kPx; ++p) {
    if (p >= a.pixels) break;
    // Joined through general registers: kunpckbw/kunpckwd measured slower
    // on Zen 5 (C3 31% of peak against 36%).
    uint64_t codes = 0;
#pragma GCC unroll 8
    for (int v = 0; v < kOcv; ++v) codes |= uint64_t{_mm512_cmpge_epi64_mask(acc[v][p], t[v])} << (8 * v);
    codes ^= flip;
    std::memcpy(first + p * words * 8, &codes, kOcv);
  }
}

// With border corrections or a pixel term: the int32 accumulator of 16
// channels first, then a compare and a two-byte store. Full groups by plain
// loads and stores: the masked forms of one_bit_codes and store_mask cost
// 15-20% here.
template <int kOcv, int kPx>
__attribute__((always_inline)) inline void codes_corrected(const __m512i (&acc)[kOcv][kPx], const BconvDirectArgs& a,
                                                           const BconvDirectEpilogue& e) {
  const int64_t words = (e.out_c + 63) / 64;
  uint8_t* const first = reinterpret_cast<uint8_t*>(e.out_packed + a.out_pixel * words) + a.c0 / 8;
#pragma GCC unroll 32
  for (int p = 0; p < kPx; ++p) {
    if (p >= a.pixels) break;
    uint8_t* at = first + p * words * 8;
#pragma GCC unroll 8
    for (int v = 0; v + 1 < kOcv; v += 2) {
      const Group g{a.c0 + 8 * v, 16, 0xffff};
      const __m512i x = accumulator(pair_sums(acc[v][p], acc[v + 1][p]), g, p, a, e);
      uint16_t flip;
      std::memcpy(&flip, e.down + g.c / 8, sizeof flip);
      const __mmask16 m = _mm512_cmpge_epi32_mask(x, _mm512_loadu_si512(e.thresholds + g.c)) ^ flip;
      std::memcpy(at + v, &m, sizeof m);
    }
    if constexpr (kOcv % 2 == 1) {  // the last 8 channels, as a masked 16-lane group
      const Group g{a.c0 + 8 * (kOcv - 1), 8, 0xff};
      const __m512i x = accumulator(_mm512_zextsi256_si512(tail_sums(acc[kOcv - 1][p])), g, p, a, e);
      at[kOcv - 1] = static_cast<uint8_t>(one_bit_codes(x, e.thresholds, e.down, g));
    }
  }
}

template <int kOcv, int kPx, bool kXor, int kWords, int kStride>
__attribute__((always_inline)) inline void run_tile(const BconvDirectArgs& a, const BconvDirectEpilogue& e,
                                                   FinishFn finish) {
  __m512i acc[kOcv][kPx];
  for (int v = 0; v < kOcv; ++v) {
    for (int p = 0; p < kPx; ++p) acc[v][p] = _mm512_setzero_si512();
  }
  // The residual this tile adds is read after its sums: ask for it now, so
  // that the popcounts hide the miss (it is a tensor of up to megabytes,
  // written layers ago; its loads stalled the epilogue).
  // This tile's pixels and the next tile's along the row (the same channels,
  // a few calls later in either loop order): more time for the miss; a
  // measured gain over this tile's alone. Never past the tensor's last pixel.
  if (e.residual) {
    const int64_t last = e.pixels - 1;
    const int span = min_int(kOcv * 8, e.out_c - a.c0) * 4;  // bytes of the block's channels in the tensor
    for (int p = 0; p < 2 * kPx && a.out_pixel + p <= last; ++p) {
      const char* r = reinterpret_cast<const char*>(e.residual + (a.out_pixel + p) * e.out_c + a.c0);
      for (int byte = 0; byte < span; byte += 64) _mm_prefetch(r + byte, _MM_HINT_T0);
      _mm_prefetch(r + span - 1, _MM_HINT_T0);  // the row may start mid-line
    }
  }

  // S = sum over levels s of 2^s * (pairs i + j = s), by Horner's rule.
  const int top = a.weight_bits - 1 + a.act_bits - 1;
  for (int s = top; s >= 0; --s) {
    if (s < top) {
      for (int v = 0; v < kOcv; ++v) {
        for (int p = 0; p < kPx; ++p) acc[v][p] = _mm512_add_epi64(acc[v][p], acc[v][p]);
      }
    }
    for (int i = 0; i < a.weight_bits; ++i) {
      const int j = s - i;
      if (j >= 0 && j < a.act_bits) accumulate<kOcv, kPx, kXor, kWords, kStride>(a, i, j, acc);
    }
  }

  // One-bit codes of a full channel block (binary-to-binary layers) inline.
  if (e.out_packed && e.out_bits == 1 && e.out_c - a.c0 >= kOcv * 8) {
    if (e.sum_thresholds && !a.corr && !a.pixel_add) {
      codes_on_s<kOcv, kPx>(acc, a, e);
    } else {
      codes_corrected<kOcv, kPx>(acc, a, e);
    }
    return;
  }
  alignas(64) int32_t sums[kPx * kOcv * 8];
  store_sums<kOcv, kPx>(acc, sums);
  finish(sums, kOcv * 8, a, e);
}

template <int kOcv, int kPx, bool kXor, int kWords, int kStride>
void run(const BconvDirectArgs& a) {
  // Local copies: the byte stores of the epilogue may alias anything reached
  // through pointers, and would make every field a reload.
  const BconvDirectEpilogue e = *a.e;
  assert(a.tiles == 1 || (!a.corr && !a.pixel_add && a.pixels == kPx));  // the span contract
  const FinishFn finish = finish_for(e);
  BconvDirectArgs tile = a;
  for (int i = 0; i < a.tiles; ++i) {
    run_tile<kOcv, kPx, kXor, kWords, kStride>(tile, e, finish);
    tile.a += kPx * tile.pixel_stride;
    tile.out_pixel += kPx;
  }
}

// Runs `a` with its depth and pixel stride as constants when they are
// kWords and kWords x (1 or 2); false when they are not.
template <int kOcv, int kPx, bool kXor, int kWords>
bool run_constant_depth(const BconvDirectArgs& a) {
  if (a.words != kWords) return false;
  if (a.pixel_stride == kWords) {
    run<kOcv, kPx, kXor, kWords, kWords>(a);
  } else if (a.pixel_stride == 2 * kWords) {
    run<kOcv, kPx, kXor, kWords, 2 * kWords>(a);
  } else {
    return false;
  }
  return true;
}

template <int kOcv, int kPx, bool kXor>
void run_any(const BconvDirectArgs& a) {
  // Bipolar (XOR) layers of 64 to 512 channels, ResNet's: constant depth and
  // pixel stride (C2 of ResNet-18: 10% faster). The stride is the pixel's
  // words (act_bits x words) at stride 1, twice that at stride 2 for one-bit
  // activations; other strides take the general path. The bit widths stay
  // run-time values (the Horner loop over plane pairs).
  if constexpr (kXor) {
    if (run_constant_depth<kOcv, kPx, kXor, 1>(a) || run_constant_depth<kOcv, kPx, kXor, 2>(a) ||
        run_constant_depth<kOcv, kPx, kXor, 4>(a) || run_constant_depth<kOcv, kPx, kXor, 8>(a)) {
      return;
    }
  }
  run<kOcv, kPx, kXor, 0, 0>(a);
}

template <int kOcv, int kPx>
void dispatch(const BconvDirectArgs& a) {
  a.xor_op ? run_any<kOcv, kPx, true>(a) : run_any<kOcv, kPx, false>(a);
}

}  // namespace

void bconv_direct_8x24c1(const BconvDirectArgs& a) { dispatch<1, 24>(a); }
void bconv_direct_16x8c1(const BconvDirectArgs& a) { dispatch<2, 8>(a); }
void bconv_direct_16x12c1(const BconvDirectArgs& a) { dispatch<2, 12>(a); }
void bconv_direct_32x6c1(const BconvDirectArgs& a) { dispatch<4, 6>(a); }
void bconv_direct_32x7c1(const BconvDirectArgs& a) { dispatch<4, 7>(a); }

}  // namespace bnn::avx512vpopcnt
