// SPDX-License-Identifier: Apache-2.0
// AVX-512 VPOPCNTDQ direct bitserial convolution microkernels (the contract
// is bconv_direct_ukernel.h): kOcv zmm of 8 output channels x kPx pixels of
// one output row, all accumulators in registers, then the output transform
// on those registers: no sums buffer, no per-pixel pointer table.
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

#include <algorithm>
#include <cassert>
#include <cstring>

#include "kernels/bconv_direct_ukernel.h"

namespace bnn::avx512vpopcnt {
namespace {

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

// Float lanes of the epilogue: 8 channels (__m256, one accumulator vector)
// or 16 (__m512, two). The same steps on either; each lane rounds as the
// reference does, so the width changes only how many channels one op covers.
struct Lanes8 {
  using V = __m256;
  using VI = __m256i;
  using M = __mmask8;
  static constexpr int kVectors = 1;  // accumulator vectors per lane group
  // The sums of one accumulator vector as int32 lanes (each below 2^24).
  static VI sums(const __m512i* acc) { return _mm512_cvtepi64_epi32(acc[0]); }
  static VI load_i(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static VI set1_i(int32_t x) { return _mm256_set1_epi32(x); }
  static VI add_i(VI a, VI b) { return _mm256_add_epi32(a, b); }
  static VI sub_i(VI a, VI b) { return _mm256_sub_epi32(a, b); }
  static M cmpge_i(VI a, VI b) { return _mm256_cmpge_epi32_mask(a, b); }
  static VI count_if(VI n, M m) { return _mm256_mask_add_epi32(n, m, n, _mm256_set1_epi32(1)); }
  static M test_bit(VI n, int b) { return _mm256_test_epi32_mask(n, _mm256_set1_epi32(1 << b)); }
  static V to_float(VI x) { return _mm256_cvtepi32_ps(x); }
  static V load(M m, const float* p) { return _mm256_maskz_loadu_ps(m, p); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V zero() { return _mm256_setzero_ps(); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  template <int kCmp>
  static M cmp(V a, V b) { return _mm256_cmp_ps_mask(a, b, kCmp); }
  template <int kCmp>
  static M cmp(M m, V a, V b) { return _mm256_mask_cmp_ps_mask(m, a, b, kCmp); }
  static V blend(V a, M m, V b) { return _mm256_mask_mov_ps(a, m, b); }  // m ? b : a
  static void store(float* p, M m, V v) { _mm256_mask_storeu_ps(p, m, v); }
};

struct Lanes16 {
  using V = __m512;
  using VI = __m512i;
  using M = __mmask16;
  static constexpr int kVectors = 2;
  // The even dwords of two accumulator vectors: each 64-bit lane's count is
  // below 2^24, so its low half is the count. One permute for 16 channels.
  static VI sums(const __m512i* acc) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_epi32(acc[0], even, acc[1]);
  }
  static VI load_i(const int32_t* p) { return _mm512_loadu_si512(p); }
  static VI set1_i(int32_t x) { return _mm512_set1_epi32(x); }
  static VI add_i(VI a, VI b) { return _mm512_add_epi32(a, b); }
  static VI sub_i(VI a, VI b) { return _mm512_sub_epi32(a, b); }
  static M cmpge_i(VI a, VI b) { return _mm512_cmpge_epi32_mask(a, b); }
  static VI count_if(VI n, M m) { return _mm512_mask_add_epi32(n, m, n, _mm512_set1_epi32(1)); }
  static M test_bit(VI n, int b) { return _mm512_test_epi32_mask(n, _mm512_set1_epi32(1 << b)); }
  static V to_float(VI x) { return _mm512_cvtepi32_ps(x); }
  static V load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V zero() { return _mm512_setzero_ps(); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  template <int kCmp>
  static M cmp(V a, V b) { return _mm512_cmp_ps_mask(a, b, kCmp); }
  template <int kCmp>
  static M cmp(M m, V a, V b) { return _mm512_mask_cmp_ps_mask(m, a, b, kCmp); }
  static V blend(V a, M m, V b) { return _mm512_mask_mov_ps(a, m, b); }
  static void store(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
};

// One lane group of a float output (channels c.. of one pixel): the steps of
// transform_to_float, each rounding on its own.
template <typename L>
inline typename L::V float_transform(typename L::V y, int c, typename L::M valid, const FloatTransform& t,
                                     const float* residual) {
  if (t.scale) y = L::mul(y, L::load(valid, t.scale + c));
  if (t.bias) y = L::add(y, L::load(valid, t.bias + c));
  if (residual && !t.residual_after_activation) y = L::add(y, L::load(valid, residual + c));
  const ActivationParams& act = t.activation;
  const typename L::V zero = L::zero();
  switch (act.kind) {
    case ActivationKind::kNone: break;
    case ActivationKind::kRelu:  // x < 0 ? 0 : x (NaN and -0 pass through)
      y = L::blend(y, L::template cmp<_CMP_LT_OQ>(y, zero), zero);
      break;
    case ActivationKind::kPrelu: {  // x >= 0 ? x : slope * x
      const typename L::V scaled = L::mul(y, L::load(valid, act.slope + c));
      y = L::blend(scaled, L::template cmp<_CMP_GE_OQ>(y, zero), y);
      break;
    }
    case ActivationKind::kRprelu: {
      const typename L::V shifted = L::sub(y, L::load(valid, act.shift_in + c));
      const typename L::V scaled = L::mul(shifted, L::load(valid, act.slope + c));
      y = L::blend(scaled, L::template cmp<_CMP_GE_OQ>(shifted, zero), shifted);
      y = L::add(y, L::load(valid, act.shift_out + c));
      break;
    }
    case ActivationKind::kHardtanh: {  // x < min ? min : (x > max ? max : x)
      const typename L::V lo = L::set1(act.min_value), hi = L::set1(act.max_value);
      const typename L::V r = L::blend(y, L::template cmp<_CMP_GT_OQ>(y, hi), hi);
      y = L::blend(r, L::template cmp<_CMP_LT_OQ>(y, lo), lo);
      break;
    }
  }
  if (residual && t.residual_after_activation) y = L::add(y, L::load(valid, residual + c));
  return y;
}

// Stores the float output of one lane group (`y`: the exact sums as float)
// and returns the next layer's one-bit input for it, when one is fused.
template <typename L>
inline typename L::M float_output(typename L::V y, int c, typename L::M valid, const BconvDirectEpilogue& e,
                                  float* out, const float* residual) {
  const typename L::V r = float_transform<L>(y, c, valid, e.transform, residual);
  L::store(out + c, valid, r);
  const FusedQuantize& q = e.quantize;
  if (!q.packed) return 0;
  typename L::V v = r;  // from the stored values, as quantize_ref reads them
  if (q.scale) v = L::mul(v, L::load(valid, q.scale + c));
  if (q.bias) v = L::add(v, L::load(valid, q.bias + c));
  // v >= t, false for NaN (ordered, non-signalling): quantize_ref's rule.
  return L::template cmp<_CMP_GE_OQ>(valid, v, L::load(valid, q.thresholds + c));
}

// The bits of one lane group's mask at `at` (channel c's byte): a full
// group's mask as one store, a partial group's valid lanes only.
template <typename L>
__attribute__((always_inline)) inline void store_mask(uint8_t* at, typename L::M m, int lanes, typename L::M valid) {
  if (lanes >= 8 * L::kVectors) {
    std::memcpy(at, &m, sizeof m);
    return;
  }
  m &= valid;
  at[0] = static_cast<uint8_t>(m);
  if constexpr (L::kVectors == 2) {
    if (lanes > 8) at[1] = static_cast<uint8_t>(m >> 8);
  }
}

// Packed output of one lane group: code = #{ l : (x >= t[l][c]) ^ flip[c] },
// stored as out_bits bit planes.
template <typename L>
__attribute__((always_inline)) inline void store_codes(typename L::VI x, const int32_t* t, const uint8_t* flip_bits,
                                                      int c, int64_t pixel, int lanes, typename L::M valid,
                                                      const BconvDirectEpilogue& e) {
  const int64_t words = (e.out_c + 63) / 64;
  uint8_t* row = reinterpret_cast<uint8_t*>(e.out_packed + pixel * e.out_bits * words) + c / 8;
  typename L::M flip = flip_bits[c / 8];
  if constexpr (L::kVectors == 2) flip |= static_cast<typename L::M>(flip_bits[c / 8 + 1] << 8);
  auto store = [&](uint8_t* at, typename L::M m) { store_mask<L>(at, m, lanes, valid); };
  if (e.out_bits == 1) {
    store(row, L::cmpge_i(x, L::load_i(t + c)) ^ flip);
    return;
  }
  typename L::VI count = L::set1_i(0);
  for (int l = 0; l < (1 << e.out_bits) - 1; ++l) {
    count = L::count_if(count, L::cmpge_i(x, L::load_i(t + l * e.oc_stride + c)) ^ flip);
  }
  for (int b = 0; b < e.out_bits; ++b) store(row + b * words * 8, L::test_bit(count, b));
}

// One lane group (channels c.. of pixel p, from L::kVectors accumulator
// vectors): the exact accumulator in int32 lanes, then the layer's output.
template <typename L>
__attribute__((always_inline)) inline void finish_group(const __m512i* acc, int c, int p, int lanes,
                                                       const BconvDirectArgs& a, const BconvDirectEpilogue& e) {
  const int64_t pixel = a.out_pixel + p;
  const typename L::M valid = lanes >= 8 * L::kVectors ? static_cast<typename L::M>(~0u)
                                                       : static_cast<typename L::M>((1u << lanes) - 1);
  typename L::VI x = L::sums(acc);
  if (e.out_packed && e.sum_thresholds && !a.corr && !a.pixel_add) {  // decided on S: one compare
    store_codes<L>(x, e.sum_thresholds, e.sum_flip, c, pixel, lanes, valid, e);
    return;
  }
  // acc = mul * S + channel_add (+ border corrections, + the pixel's term).
  if (e.mul != 1) x = L::add_i(x, x);
  const typename L::VI add = L::load_i(e.channel_add + c);
  x = e.mul < 0 ? L::sub_i(add, x) : L::add_i(x, add);
  if (a.corr) x = L::add_i(x, L::load_i(a.corr[p] + c));
  if (a.pixel_add) x = L::add_i(x, L::set1_i(a.pixel_add[p]));
  if (e.out_packed) {
    store_codes<L>(x, e.thresholds, e.down, c, pixel, lanes, valid, e);
    return;
  }
  float* out = e.out_float + pixel * e.out_c;
  const float* residual = e.residual ? e.residual + pixel * e.out_c : nullptr;
  const typename L::M m = float_output<L>(L::to_float(x), c, valid, e, out, residual);  // exact: |acc| < 2^24
  if (e.quantize.packed) {
    // m is already limited to the valid lanes (float_output's compare).
    store_mask<L>(reinterpret_cast<uint8_t*>(e.quantize.packed + pixel * ((e.out_c + 63) / 64)) + c / 8, m, lanes,
                  valid);
  }
}

template <int kOcv, int kPx, bool kXor, int kWords, int kStride>
__attribute__((always_inline)) inline void run_tile(const BconvDirectArgs& a, const BconvDirectEpilogue& e) {
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
    const int span = std::min(kOcv * 8, e.out_c - a.c0) * 4;  // bytes of the block's channels in the tensor
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

  // The epilogue, per pixel: two accumulator vectors (16 channels) per op,
  // then a last single vector when kOcv is odd. On 64-channel layers it is
  // a third of the work.
  const BconvDirectArgs& args = a;
  const int lanes = e.out_c - a.c0;  // valid channels from the block's first
  // Unrolled: the accumulators stay in registers (indexed at run time, the
  // whole array would go through the stack).
#pragma GCC unroll 32
  for (int p = 0; p < kPx; ++p) {
    if (p >= args.pixels) break;
#pragma GCC unroll 8
    for (int v = 0; v + 1 < kOcv; v += 2) {
      if (lanes <= 8 * v) break;
      const __m512i pair[2] = {acc[v][p], acc[v + 1][p]};
      finish_group<Lanes16>(pair, args.c0 + 8 * v, p, lanes - 8 * v, args, e);
    }
    constexpr int kLast = kOcv - 1;  // a single vector left when kOcv is odd
    if (kOcv % 2 == 1 && lanes > 8 * kLast) finish_group<Lanes8>(&acc[kLast][p], args.c0 + 8 * kLast, p, lanes - 8 * kLast, args, e);
  }
}

template <int kOcv, int kPx, bool kXor, int kWords, int kStride>
void run(const BconvDirectArgs& a) {
  // Local copies: the byte stores of the epilogue may alias anything reached
  // through pointers, and would make every field a reload.
  const BconvDirectEpilogue e = *a.e;
  assert(a.tiles == 1 || (!a.corr && !a.pixel_add && a.pixels == kPx));  // the span contract
  BconvDirectArgs tile = a;
  for (int i = 0; i < a.tiles; ++i) {
    run_tile<kOcv, kPx, kXor, kWords, kStride>(tile, e);
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
