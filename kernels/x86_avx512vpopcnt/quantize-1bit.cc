// SPDX-License-Identifier: Apache-2.0
// AVX-512 quantize to one bit: 16 channels per compare, and the compare mask
// is the packed bits. y = x * scale + bias is a separate multiply and add, as
// in the reference, so the bits are the reference's. More than one bit goes to
// the reference. Uses AVX-512F only, though it is built with this directory's
// flags (it was first written beside the VPOPCNTDQ kernels).
#include <immintrin.h>

#include <cstdint>

#include "kernels/quantize_kernels.h"

namespace bnn::avx512vpopcnt {

void quantize_1bit(const float* x, int64_t rows, int channels, const float* scale, const float* bias,
                   const float* thresholds, int bits, uint64_t* packed) {
  if (bits != 1) return quantize_ref(x, rows, channels, scale, bias, thresholds, bits, packed);
  const int64_t words = (channels + 63) / 64;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * channels;
    for (int64_t w = 0; w < words; ++w) {
      // A word's four compare masks gathered in a register, stored once.
      uint64_t word = 0;
      for (int c = static_cast<int>(w * 64); c < channels && c < (w + 1) * 64; c += 16) {
        const __mmask16 live = channels - c >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (channels - c)) - 1);
        __m512 y = _mm512_maskz_loadu_ps(live, row + c);
        if (scale) y = _mm512_mul_ps(y, _mm512_maskz_loadu_ps(live, scale + c));
        if (bias) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(live, bias + c));
        // y >= t, false for NaN (ordered, non-signalling): the reference's rule.
        const __mmask16 bits16 =
            _mm512_mask_cmp_ps_mask(live, y, _mm512_maskz_loadu_ps(live, thresholds + c), _CMP_GE_OQ);
        word |= static_cast<uint64_t>(bits16) << (c % 64);
      }
      packed[r * words + w] = word;
    }
  }
}

}  // namespace bnn::avx512vpopcnt
