// SPDX-License-Identifier: Apache-2.0
// Fixed-seed random data for tests. Every test names its seed, so a failure
// can be replayed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace bnn::test {

class Random {
 public:
  explicit Random(uint32_t seed) : engine_(seed) {}

  int uniform_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
  float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(engine_); }
  float normal(float mean = 0.0f, float stddev = 1.0f) { return std::normal_distribution<float>(mean, stddev)(engine_); }

  std::vector<uint8_t> codes(size_t n, int bits) {
    std::vector<uint8_t> v(n);
    for (uint8_t& q : v) q = static_cast<uint8_t>(uniform_int(0, (1 << bits) - 1));
    return v;
  }
  std::vector<float> normals(size_t n, float mean = 0.0f, float stddev = 1.0f) {
    std::vector<float> v(n);
    for (float& x : v) x = normal(mean, stddev);
    return v;
  }
  std::vector<float> uniforms(size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (float& x : v) x = uniform(lo, hi);
    return v;
  }

 private:
  std::mt19937 engine_;
};

}  // namespace bnn::test
