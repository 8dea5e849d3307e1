// SPDX-License-Identifier: Apache-2.0
// The packed layout, defined once for the engine, the converter and the tests.
//
// A k-bit tensor of shape [..., C] is stored as one group of k bit planes per
// leading index; a plane is words_for(C) little-endian uint64 words, channel c
// at bit c % 64 of word c / 64. Plane i holds bit i of every code. Bits past C
// in the last word of a plane are always 0: kernels rely on it (a zero bit
// adds nothing to an AND, and cancels in an XOR of two zero bits).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/types.h"

namespace bnn {

constexpr int kWordBits = 64;

// 64-bit: channel counts come from files and must not overflow here.
constexpr int64_t words_for(int64_t channels) { return (channels + kWordBits - 1) / kWordBits; }

// Words of one packed row of `channels` codes with `bits` planes.
constexpr int64_t packed_row_words(int64_t channels, int bits) { return bits * words_for(channels); }

// ORs code q of channel c into `bits` planes of `words` words each (the
// planes must start cleared).
inline void set_code(uint64_t* planes, int64_t words, int c, unsigned q, int bits) {
  for (int i = 0; i < bits; ++i) {
    planes[i * words + c / kWordBits] |= static_cast<uint64_t>((q >> i) & 1u) << (c % kWordBits);
  }
}

// codes: [rows][channels], each < 2^bits  ->  packed: [rows][bits][words_for(channels)].
void pack_codes(const uint8_t* codes, int64_t rows, int channels, int bits, uint64_t* packed);

// The inverse of pack_codes.
void unpack_codes(const uint64_t* packed, int64_t rows, int channels, int bits, uint8_t* codes);

// Copies bits [first, first + count) of `src` to bits [0, count) of `dst`
// (words_for(count) words, tail bits cleared). Used to cut a channel group out
// of a packed row.
void extract_bits(const uint64_t* src, int first, int count, uint64_t* dst);

}  // namespace bnn
