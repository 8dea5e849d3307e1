// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes as a .npy file. parse_npy must return an array
// whose size matches its header or refuse with std::runtime_error.
#include <cstdint>
#include <stdexcept>

#include "apps/common/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const bnn::NpyArray a = bnn::parse_npy(data, size, "fuzz.npy");
    int64_t count = 1;
    for (int64_t d : a.shape) count *= d;
    if (count != static_cast<int64_t>(a.data.size())) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
