// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "kernels/bitpack.h"
#include "support/random.h"

namespace bnn {
namespace {

bool bit_of(const uint64_t* plane, int c) { return (plane[c / 64] >> (c % 64)) & 1u; }

TEST_CASE("pack_codes puts bit i of channel c at plane i - word c/64 - bit c%64 - and clears the tail") {
  test::Random rng(11);
  for (int bits = 1; bits <= 4; ++bits) {
    for (int channels : {1, 3, 63, 64, 65, 100, 128, 130}) {
      CAPTURE(bits);
      CAPTURE(channels);
      const int rows = 3;
      const std::vector<uint8_t> codes = rng.codes(size_t(rows) * channels, bits);
      const int words = words_for(channels);
      std::vector<uint64_t> packed(rows * packed_row_words(channels, bits), ~uint64_t{0});
      pack_codes(codes.data(), rows, channels, bits, packed.data());
      for (int r = 0; r < rows; ++r) {
        for (int i = 0; i < bits; ++i) {
          const uint64_t* plane = packed.data() + (r * bits + i) * words;
          for (int c = 0; c < channels; ++c) REQUIRE(bit_of(plane, c) == bool((codes[r * channels + c] >> i) & 1));
          for (int c = channels; c < words * 64; ++c) REQUIRE_FALSE(bit_of(plane, c));
        }
      }
      std::vector<uint8_t> round_trip(codes.size());
      unpack_codes(packed.data(), rows, channels, bits, round_trip.data());
      CHECK(round_trip == codes);
    }
  }
}

TEST_CASE("extract_bits cuts any bit range out of a row") {
  test::Random rng(12);
  const int total = 200;
  std::vector<uint8_t> bits(total);
  for (uint8_t& b : bits) b = static_cast<uint8_t>(rng.uniform_int(0, 1));
  std::vector<uint64_t> row(words_for(total));
  pack_codes(bits.data(), 1, total, 1, row.data());
  for (int first : {0, 1, 5, 63, 64, 65, 100, 127, 128, 199}) {
    for (int count : {1, 2, 31, 63, 64, 65, 71, 100}) {
      if (first + count > total) continue;
      CAPTURE(first);
      CAPTURE(count);
      std::vector<uint64_t> out(words_for(count), ~uint64_t{0});
      extract_bits(row.data(), first, count, out.data());
      for (int c = 0; c < count; ++c) REQUIRE(bit_of(out.data(), c) == bool(bits[first + c]));
      for (int c = count; c < words_for(count) * 64; ++c) REQUIRE_FALSE(bit_of(out.data(), c));
    }
  }
}

TEST_CASE("code values: bipolar 2q - (2^k - 1) - unipolar q - larger codes are larger values") {
  CHECK(code_value(0, 1, Encoding::kBipolar) == -1);
  CHECK(code_value(1, 1, Encoding::kBipolar) == 1);
  CHECK(code_value(0, 2, Encoding::kBipolar) == -3);
  CHECK(code_value(3, 2, Encoding::kBipolar) == 3);
  CHECK(code_value(7, 4, Encoding::kBipolar) == -1);
  CHECK(code_value(3, 2, Encoding::kUnipolar) == 3);
  for (int bits = 1; bits <= 4; ++bits) {
    for (int q = 1; q < (1 << bits); ++q) {
      CHECK(code_value(q, bits, Encoding::kBipolar) > code_value(q - 1, bits, Encoding::kBipolar));
    }
  }
}

}  // namespace
}  // namespace bnn
