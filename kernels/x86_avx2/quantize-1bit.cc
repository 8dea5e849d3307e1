// SPDX-License-Identifier: Apache-2.0
// AVX2 quantize to one bit: 8 channels per compare, whose sign mask is 8 of
// the packed bits. y = x * scale + bias is a separate multiply and add, as in
// the reference, so the bits are the reference's. More than one bit goes to
// the reference. Built with -mavx2 (only this file).
#include <immintrin.h>

#include <cstdint>

#include "kernels/quantize_kernels.h"

namespace bnn::avx2 {

void quantize_1bit(const float* x, int64_t rows, int channels, const float* scale, const float* bias,
                   const float* thresholds, int bits, uint64_t* packed) {
  if (bits != 1) return quantize_ref(x, rows, channels, scale, bias, thresholds, bits, packed);
  const int64_t words = (channels + 63) / 64;
  const int whole = channels / 8 * 8;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * channels;
    for (int64_t w = 0; w < words; ++w) {
      // A word's eight compare masks gathered in a register, stored once.
      uint64_t word = 0;
      const int first = static_cast<int>(w * 64);
      const int last = channels < first + 64 ? channels : first + 64;
      int c = first;
      for (; c < last && c < whole; c += 8) {
        __m256 y = _mm256_loadu_ps(row + c);
        if (scale) y = _mm256_mul_ps(y, _mm256_loadu_ps(scale + c));
        if (bias) y = _mm256_add_ps(y, _mm256_loadu_ps(bias + c));
        // y >= t, false for NaN (ordered, non-signalling): the reference's rule.
        const int mask = _mm256_movemask_ps(_mm256_cmp_ps(y, _mm256_loadu_ps(thresholds + c), _CMP_GE_OQ));
        word |= static_cast<uint64_t>(static_cast<unsigned>(mask)) << (c - first);
      }
      for (; c < last; ++c) {  // the channel tail, the same expression on scalars
        float y = row[c];
        if (scale) y = y * scale[c];
        if (bias) y = y + bias[c];
        word |= static_cast<uint64_t>(y >= thresholds[c]) << (c - first);
      }
      packed[r * words + w] = word;
    }
  }
}

}  // namespace bnn::avx2
