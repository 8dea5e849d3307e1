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
#endif
#include <immintrin.h>

#include "kernels/bconv_direct_ukernel.h"

namespace bnn::avx512vpopcnt {
namespace {

template <int kOcv, int kPx, bool kXor>
inline void accumulate(const BconvDirectArgs& a, int i, int j, __m512i (&acc)[kOcv][kPx]) {
  const int words = a.words;
  const int64_t stride = a.pixel_stride;
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
  using M = __mmask8;
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
  using M = __mmask16;
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

template <int kOcv, int kPx, bool kXor>
void run(const BconvDirectArgs& a) {
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
  if (a.e->residual) {
    const int64_t last = a.e->pixels - 1;
    const int span = kOcv * 8 * 4;  // bytes of the block's channels
    for (int p = 0; p < 2 * kPx && a.out_pixel + p <= last; ++p) {
      const char* r = reinterpret_cast<const char*>(a.e->residual + (a.out_pixel + p) * a.e->out_c + a.c0);
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
      if (j >= 0 && j < a.act_bits) accumulate<kOcv, kPx, kXor>(a, i, j, acc);
    }
  }

  // The exact accumulators.
  const BconvDirectEpilogue& e = *a.e;
  for (int v = 0; v < kOcv; ++v) {
    const __m512i add = _mm512_loadu_si512(e.channel_add + a.c0 + 8 * v);
    for (int p = 0; p < kPx; ++p) {
      __m512i x = acc[v][p];
      if (e.mul != 1) x = _mm512_add_epi64(x, x);
      if (e.mul < 0) x = _mm512_sub_epi64(_mm512_setzero_si512(), x);
      x = _mm512_add_epi64(x, add);
      if (a.corr) x = _mm512_add_epi64(x, _mm512_cvtepi32_epi64(_mm256_loadu_si256(
                                              reinterpret_cast<const __m256i*>(a.corr[p] + a.c0 + 8 * v))));
      if (a.pixel_add) x = _mm512_add_epi64(x, _mm512_set1_epi64(a.pixel_add[p]));
      acc[v][p] = x;
    }
  }

  const int lanes = e.out_c - a.c0;  // valid channels from the block's first
  if (e.out_packed) {
    const int64_t words = (e.out_c + 63) / 64;
    const int levels = (1 << e.out_bits) - 1;
    for (int v = 0; v < kOcv; ++v) {
      const int n = lanes - 8 * v;
      if (n <= 0) break;
      const __mmask8 valid = n >= 8 ? 0xFF : static_cast<__mmask8>((1u << n) - 1);
      const int c = a.c0 + 8 * v;
      const __mmask8 down = e.down[c / 8];
      for (int p = 0; p < kPx; ++p) {
        if (p >= a.pixels) break;
        uint8_t* row = reinterpret_cast<uint8_t*>(e.out_packed + (a.out_pixel + p) * e.out_bits * words) + c / 8;
        if (levels == 1) {
          const __mmask8 m = _mm512_cmpge_epi64_mask(acc[v][p], _mm512_loadu_si512(e.thresholds + c)) ^ down;
          *row = static_cast<uint8_t>(m & valid);
          continue;
        }
        __m512i count = _mm512_setzero_si512();
        const __m512i one = _mm512_set1_epi64(1);
        for (int l = 0; l < levels; ++l) {
          const __mmask8 m = _mm512_cmpge_epi64_mask(acc[v][p], _mm512_loadu_si512(e.thresholds + l * e.oc_stride + c)) ^ down;
          count = _mm512_mask_add_epi64(count, m, count, one);
        }
        for (int b = 0; b < e.out_bits; ++b) {
          row[b * words * 8] = static_cast<uint8_t>(_mm512_test_epi64_mask(count, _mm512_set1_epi64(int64_t{1} << b)) & valid);
        }
      }
    }
    return;
  }
  const int64_t q_words = (e.out_c + 63) / 64;
  for (int p = 0; p < kPx; ++p) {
    if (p >= a.pixels) break;
    const int64_t pixel = a.out_pixel + p;
    float* out = e.out_float + pixel * e.out_c;
    const float* residual = e.residual ? e.residual + pixel * e.out_c : nullptr;
    uint8_t* bits = e.quantize.packed ? reinterpret_cast<uint8_t*>(e.quantize.packed + pixel * q_words) : nullptr;
    int v = 0;
    // Two accumulator vectors (16 channels) per float op: on 64-channel
    // layers the epilogue is a third of the work, and this halves its ops.
    for (; v + 1 < kOcv; v += 2) {
      const int n = lanes - 8 * v;
      if (n <= 0) break;
      const __mmask16 valid = n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1);
      const int c = a.c0 + 8 * v;
      // Exact: |acc| < 2^24 (the validator's bound).
      const __m512i sums = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(acc[v][p])),
                                              _mm512_cvtepi64_epi32(acc[v + 1][p]), 1);
      const __mmask16 m = float_output<Lanes16>(_mm512_cvtepi32_ps(sums), c, valid, e, out, residual);
      if (bits) {
        bits[c / 8] = static_cast<uint8_t>(m);
        if (n > 8) bits[c / 8 + 1] = static_cast<uint8_t>(m >> 8);
      }
    }
    for (; v < kOcv; ++v) {
      const int n = lanes - 8 * v;
      if (n <= 0) break;
      const __mmask8 valid = n >= 8 ? 0xFF : static_cast<__mmask8>((1u << n) - 1);
      const int c = a.c0 + 8 * v;
      const __m256 y = _mm256_cvtepi32_ps(_mm512_cvtepi64_epi32(acc[v][p]));
      const __mmask8 m = float_output<Lanes8>(y, c, valid, e, out, residual);
      if (bits) bits[c / 8] = m;
    }
  }
}

template <int kOcv, int kPx>
void dispatch(const BconvDirectArgs& a) {
  a.xor_op ? run<kOcv, kPx, true>(a) : run<kOcv, kPx, false>(a);
}

}  // namespace

void bconv_direct_8x24c1(const BconvDirectArgs& a) { dispatch<1, 24>(a); }
void bconv_direct_16x8c1(const BconvDirectArgs& a) { dispatch<2, 8>(a); }
void bconv_direct_16x12c1(const BconvDirectArgs& a) { dispatch<2, 12>(a); }
void bconv_direct_32x6c1(const BconvDirectArgs& a) { dispatch<4, 6>(a); }
void bconv_direct_32x7c1(const BconvDirectArgs& a) { dispatch<4, 7>(a); }

}  // namespace bnn::avx512vpopcnt
