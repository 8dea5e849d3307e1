// SPDX-License-Identifier: Apache-2.0
// AVX2 bitserial microkernel: 4 output channels (one ymm of 64-bit lanes) x 4
// pixels. AVX2 has no vector popcount: bytes are counted with two vpshufb
// nibble lookups and summed into the 64-bit lanes with vpsadbw. Built with
// -mavx2 (only this file).
#include <immintrin.h>

#include "kernels/bgemm_ukernel.h"

namespace bnn::avx2 {
namespace {

constexpr int kTilePx = 4;

template <bool kXor>
void run(const BgemmUkernelArgs& args) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2,
                                       2, 3, 2, 3, 3, 4);
  const __m256i low_nibble = _mm256_set1_epi8(0x0F);
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc[kTilePx];
  for (int p = 0; p < kTilePx; ++p) acc[p] = zero;
  const int words = args.words;
  for (int t = 0; t < args.taps; ++t) {
    const uint64_t* w_tap = args.w + static_cast<int64_t>(t) * args.weight_bits * words * 4;
    const uint64_t* const* a_tap = args.a + t * kTilePx;
    for (int i = 0; i < args.weight_bits; ++i) {
      for (int j = 0; j < args.act_bits; ++j) {
        const __m128i shift = _mm_cvtsi32_si128(i + j);
        for (int k = 0; k < words; ++k) {
          const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w_tap + (static_cast<int64_t>(i) * words + k) * 4));
          for (int p = 0; p < kTilePx; ++p) {
            const __m256i a = _mm256_set1_epi64x(static_cast<long long>(a_tap[p][j * words + k]));
            const __m256i x = kXor ? _mm256_xor_si256(w, a) : _mm256_and_si256(w, a);
            const __m256i lo = _mm256_and_si256(x, low_nibble);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low_nibble);
            const __m256i bytes = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
            acc[p] = _mm256_add_epi64(acc[p], _mm256_sll_epi64(_mm256_sad_epu8(bytes, zero), shift));
          }
        }
      }
    }
  }
  for (int p = 0; p < kTilePx; ++p) {
    alignas(32) int64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[p]);
    for (int o = 0; o < 4; ++o) args.s[p * 4 + o] = static_cast<int32_t>(lanes[o]);
  }
}

}  // namespace

void bgemm_ukernel_4x4c1(const BgemmUkernelArgs& args) { args.xor_op ? run<true>(args) : run<false>(args); }

}  // namespace bnn::avx2
