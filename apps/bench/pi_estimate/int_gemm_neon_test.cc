// SPDX-License-Identifier: Apache-2.0
// The integer baselines compute what they claim: each kernel against a plain
// integer GEMM, on random data and at the extreme values each relies on,
// several depths (run under qemu-aarch64 in CI). A baseline that computed
// less would flatter bnn.
#include <doctest/doctest.h>
#include <sys/auxv.h>

#include <random>
#include <vector>

#include "apps/bench/pi_estimate/int_gemm_neon.h"

namespace nb = bnn::bench::neon_baseline;

namespace {

bool has_dot_product() {
#if defined(HWCAP_ASIMDDP)
  return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
  return false;
#endif
}

// Uniform in [lo, hi], or (lo == hi) every value lo: the extremes.
template <typename T>
std::vector<T> random_values(size_t n, int lo, int hi, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <typename T>
int32_t dot(const T* w, const T* a, int depth) {
  int32_t s = 0;
  for (int k = 0; k < depth; ++k) s += int32_t{w[k]} * int32_t{a[k]};
  return s;
}

}  // namespace

TEST_CASE("integer NEON baselines match a plain GEMM") {
  std::mt19937 rng(7);
  // (depth, extremes): random values, then every product at its largest
  // (int16: -512 x -512 keeps 4608-deep sums below 2^31; int8: -127 x -128,
  // whose pairs the SMLAL2 step sums in int16).
  for (const auto& [depth, extreme] : {std::pair{16, false}, {48, false}, {576, false}, {4608, false}, {64, true},
                                        {4608, true}}) {
    INFO("depth " << depth << (extreme ? ", extreme values" : ""));
    const auto w16 = extreme ? random_values<int16_t>(8 * depth, -512, -512, rng)
                             : random_values<int16_t>(8 * depth, -512, 511, rng);
    const auto a16 = extreme ? random_values<int16_t>(4 * depth, -512, -512, rng)
                             : random_values<int16_t>(4 * depth, -512, 511, rng);
    std::vector<int16_t> w16p(w16.size());
    nb::pack_s16_8x4(depth, w16.data(), w16p.data());
    const int16_t* rows16[4] = {&a16[0], &a16[depth], &a16[2 * depth], &a16[3 * depth]};
    int32_t c16[4][8];
    nb::gemm_s16_8x4(depth, w16p.data(), rows16, c16);
    for (int p = 0; p < 4; ++p) {
      for (int o = 0; o < 8; ++o) CHECK(c16[p][o] == dot(&w16[o * depth], rows16[p], depth));
    }

    const auto w8 = extreme ? random_values<int8_t>(8 * depth, -127, -127, rng)
                            : random_values<int8_t>(8 * depth, -127, 127, rng);
    const auto a8 = extreme ? random_values<int8_t>(4 * depth, -128, -128, rng)
                            : random_values<int8_t>(4 * depth, -128, 127, rng);
    const int8_t* rows8[4] = {&a8[0], &a8[depth], &a8[2 * depth], &a8[3 * depth]};
    std::vector<int8_t> w8p(w8.size());
    nb::pack_s8_4x4(depth, w8.data(), w8p.data());
    int32_t c8[4][4];
    nb::gemm_s8_4x4(depth, w8p.data(), rows8, c8);
    for (int p = 0; p < 4; ++p) {
      for (int o = 0; o < 4; ++o) CHECK(c8[p][o] == dot(&w8[o * depth], rows8[p], depth));
    }
    if (!has_dot_product()) {
      MESSAGE("no ARMv8.2 dot product on this CPU: the SDOT baseline is not checked");
      continue;
    }
    std::vector<int8_t> wdp(w8.size()), adp(4 * depth);
    nb::pack_s8dot_w(depth, w8.data(), wdp.data());
    nb::pack_s8dot_a(depth, rows8, adp.data());
    int32_t cd[4][8];
    nb::gemm_s8dot_8x4(depth, wdp.data(), adp.data(), cd);
    for (int p = 0; p < 4; ++p) {
      for (int o = 0; o < 8; ++o) CHECK(cd[p][o] == dot(&w8[o * depth], rows8[p], depth));
    }
  }
}
