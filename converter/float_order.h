// SPDX-License-Identifier: Apache-2.0
// Searching the float32 line in order: every float32 maps to an integer key
// with key(a) < key(b) iff a < b (-0.0 and +0.0 share key 0), so a monotone
// function of a float can be bisected over keys, exactly, in 32 steps.
#pragma once

#include <cstdint>
#include <cstring>

namespace bnn::convert {

inline int64_t float_key(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return (bits & 0x80000000u) ? -static_cast<int64_t>(bits & 0x7FFFFFFFu) : static_cast<int64_t>(bits);
}

inline float key_float(int64_t key) {
  const uint32_t bits = key >= 0 ? static_cast<uint32_t>(key) : (0x80000000u | static_cast<uint32_t>(-key));
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Smallest k in [lo, hi] with pred(k), for a pred that is false then true; hi + 1 if none.
template <typename Pred>
int64_t first_true(int64_t lo, int64_t hi, const Pred& pred) {
  int64_t left = lo, right = hi + 1;
  while (left < right) {
    const int64_t mid = left + (right - left) / 2;
    if (pred(mid)) right = mid;
    else left = mid + 1;
  }
  return left;
}

}  // namespace bnn::convert
