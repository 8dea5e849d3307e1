// AVX-512 VPOPCNTDQ bitserial microkernels: 8 output channels (one zmm of
// 64-bit lanes) x N pixels. Per word of depth: one load of 8 channels'
// weights, then per pixel a broadcast, an XOR (or AND), one vpopcntq and an
// add: 512 binary MACs per vpopcntq. Built with -mavx512f -mavx512bw
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

template <int kTilePx, bool kXor>
void run(const BgemmUkernelArgs& args) {
  __m512i acc[kTilePx];
  for (int p = 0; p < kTilePx; ++p) acc[p] = _mm512_setzero_si512();
  const int words = args.words;
  for (int t = 0; t < args.taps; ++t) {
    const uint64_t* w_tap = args.w + static_cast<int64_t>(t) * args.weight_bits * words * 8;
    const uint64_t* const* a_tap = args.a + t * kTilePx;
    for (int i = 0; i < args.weight_bits; ++i) {
      for (int j = 0; j < args.act_bits; ++j) {
        const __m128i shift = _mm_cvtsi32_si128(i + j);
        for (int k = 0; k < words; ++k) {
          const __m512i w = _mm512_loadu_si512(w_tap + (static_cast<int64_t>(i) * words + k) * 8);
          for (int p = 0; p < kTilePx; ++p) {
            const __m512i a = _mm512_set1_epi64(static_cast<long long>(a_tap[p][j * words + k]));
            const __m512i x = kXor ? _mm512_xor_si512(w, a) : _mm512_and_si512(w, a);
            acc[p] = _mm512_add_epi64(acc[p], _mm512_sll_epi64(_mm512_popcnt_epi64(x), shift));
          }
        }
      }
    }
  }
  for (int p = 0; p < kTilePx; ++p) {
    alignas(64) int64_t lanes[8];
    _mm512_store_si512(lanes, acc[p]);
    for (int o = 0; o < 8; ++o) args.s[p * 8 + o] = static_cast<int32_t>(lanes[o]);
  }
}

}  // namespace

void bgemm_ukernel_8x8(const BgemmUkernelArgs& args) { args.xor_op ? run<8, true>(args) : run<8, false>(args); }
void bgemm_ukernel_8x4(const BgemmUkernelArgs& args) { args.xor_op ? run<4, true>(args) : run<4, false>(args); }

}  // namespace bnn::avx512vpopcnt
