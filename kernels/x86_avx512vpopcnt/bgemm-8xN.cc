// AVX-512 VPOPCNTDQ bitserial microkernels: 8 output channels (one zmm of
// 64-bit lanes) x N pixels, depth unrolled U words (the descriptor's c<U>).
// Per word of depth: one load of 8 channels' weights, then per pixel a
// broadcast, an XOR (or AND), one vpopcntq and an add: 512 binary MACs per
// vpopcntq. The plane pair (i, j) is the outermost loop, so its weight 2^(i+j)
// is applied once per pair to the pair's sums, not to every popcount: on
// Sapphire Rapids the 512-bit ALU ports bound this loop, and a shift per
// popcount was a quarter of its ALU work. Built with -mavx512f -mavx512bw
// -mavx512vpopcntdq (only this file).
// GCC 12's avx512fintrin.h initializes some intrinsics from _mm512_undefined_*,
// which -Wmaybe-uninitialized misreports inside this file's loops.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/bgemm_ukernel.h"

namespace bnn::avx512vpopcnt {
namespace {

template <bool kXor>
inline __m512i popcount_op(__m512i w, const uint64_t* a) {
  const __m512i b = _mm512_set1_epi64(static_cast<long long>(*a));
  return _mm512_popcnt_epi64(kXor ? _mm512_xor_si512(w, b) : _mm512_and_si512(w, b));
}

// The sums of one plane pair (i, j) over all taps and words. With kUnroll = 2
// two words are in flight per step, each with its own accumulators.
template <int kTilePx, int kUnroll, bool kXor>
inline void plane_pair(const BgemmUkernelArgs& args, int i, int j, __m512i sum[kTilePx]) {
  __m512i part[kUnroll][kTilePx];
  for (int u = 0; u < kUnroll; ++u) {
    for (int p = 0; p < kTilePx; ++p) part[u][p] = _mm512_setzero_si512();
  }
  const int words = args.words;
  for (int t = 0; t < args.taps; ++t) {
    const uint64_t* w_plane = args.w + (static_cast<int64_t>(t) * args.weight_bits + i) * words * 8;
    const uint64_t* const* a_tap = args.a + t * kTilePx;
    const int a0 = j * words;
    int k = 0;
    for (; k + kUnroll <= words; k += kUnroll) {
      for (int u = 0; u < kUnroll; ++u) {
        const __m512i w = _mm512_loadu_si512(w_plane + (k + u) * 8);
        for (int p = 0; p < kTilePx; ++p) {
          part[u][p] = _mm512_add_epi64(part[u][p], popcount_op<kXor>(w, a_tap[p] + a0 + k + u));
        }
      }
    }
    for (; k < words; ++k) {  // the depth's tail when kUnroll does not divide it
      const __m512i w = _mm512_loadu_si512(w_plane + k * 8);
      for (int p = 0; p < kTilePx; ++p) part[0][p] = _mm512_add_epi64(part[0][p], popcount_op<kXor>(w, a_tap[p] + a0 + k));
    }
  }
  const __m128i shift = _mm_cvtsi32_si128(i + j);
  for (int p = 0; p < kTilePx; ++p) {
    __m512i s = part[0][p];
    for (int u = 1; u < kUnroll; ++u) s = _mm512_add_epi64(s, part[u][p]);
    sum[p] = _mm512_add_epi64(sum[p], _mm512_sll_epi64(s, shift));
  }
}

template <int kTilePx, int kUnroll, bool kXor>
void run(const BgemmUkernelArgs& args) {
  __m512i sum[kTilePx];
  for (int p = 0; p < kTilePx; ++p) sum[p] = _mm512_setzero_si512();
  for (int i = 0; i < args.weight_bits; ++i) {
    for (int j = 0; j < args.act_bits; ++j) plane_pair<kTilePx, kUnroll, kXor>(args, i, j, sum);
  }
  for (int p = 0; p < kTilePx; ++p) {
    alignas(64) int64_t lanes[8];
    _mm512_store_si512(lanes, sum[p]);
    for (int o = 0; o < 8; ++o) args.s[p * 8 + o] = static_cast<int32_t>(lanes[o]);
  }
}

template <int kTilePx, int kUnroll>
void dispatch(const BgemmUkernelArgs& args) {
  args.xor_op ? run<kTilePx, kUnroll, true>(args) : run<kTilePx, kUnroll, false>(args);
}

}  // namespace

void bgemm_ukernel_8x8(const BgemmUkernelArgs& args) { dispatch<8, 1>(args); }
void bgemm_ukernel_8x4(const BgemmUkernelArgs& args) { dispatch<4, 1>(args); }
void bgemm_ukernel_8x8c2(const BgemmUkernelArgs& args) { dispatch<8, 2>(args); }
void bgemm_ukernel_8x4c2(const BgemmUkernelArgs& args) { dispatch<4, 2>(args); }

}  // namespace bnn::avx512vpopcnt
