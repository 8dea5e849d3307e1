// SPDX-License-Identifier: Apache-2.0
#include "kernels/bitpack.h"

#include <cassert>
#include <cstring>

namespace bnn {

void pack_codes(const uint8_t* codes, int64_t rows, int channels, int bits, uint64_t* packed) {
  assert(bits >= 1 && bits <= 8 && channels >= 0);
  const int64_t words = words_for(channels);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* row = codes + r * channels;
    uint64_t* planes = packed + r * bits * words;
    std::memset(planes, 0, sizeof(uint64_t) * bits * words);
    for (int c = 0; c < channels; ++c) set_code(planes, words, c, row[c], bits);
  }
}

void unpack_codes(const uint64_t* packed, int64_t rows, int channels, int bits, uint8_t* codes) {
  const int64_t words = words_for(channels);
  for (int64_t r = 0; r < rows; ++r) {
    const uint64_t* planes = packed + r * bits * words;
    uint8_t* row = codes + r * channels;
    for (int c = 0; c < channels; ++c) {
      unsigned q = 0;
      for (int i = 0; i < bits; ++i) {
        q |= static_cast<unsigned>((planes[i * words + c / kWordBits] >> (c % kWordBits)) & 1u) << i;
      }
      row[c] = static_cast<uint8_t>(q);
    }
  }
}

void extract_bits(const uint64_t* src, int first, int count, uint64_t* dst) {
  const int64_t words = words_for(count);
  const int word0 = first / kWordBits;
  const int shift = first % kWordBits;
  for (int64_t w = 0; w < words; ++w) {
    uint64_t v = src[word0 + w] >> shift;
    // The high part comes from the next source word, which exists only if this
    // output word still has bits there; reading it unconditionally could run
    // past the row.
    const int64_t bits_here = count - w * kWordBits;
    if (shift != 0 && bits_here > kWordBits - shift) v |= src[word0 + w + 1] << (kWordBits - shift);
    if (bits_here < kWordBits) v &= (uint64_t{1} << bits_here) - 1;
    dst[w] = v;
  }
}

}  // namespace bnn
