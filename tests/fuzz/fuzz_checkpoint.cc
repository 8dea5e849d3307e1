// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes as a torch.save checkpoint (zip + pickle) or a
// safetensors file; every tensor listed is read. Only ConvertError may refuse.
#include <cstdint>
#include <vector>

#include "converter/checkpoint/weight_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto weights = bnn::convert::parse_weight_file(std::vector<uint8_t>(data, data + size), "fuzz");
    for (const std::string& name : weights->names()) {
      std::vector<int64_t> shape;
      weights->shape(name, &shape);
      try {
        const bnn::convert::Constant c = weights->read(name);
        int64_t count = 1;
        for (int64_t d : c.shape) count *= d;
        if (count != c.size()) __builtin_trap();
      } catch (const bnn::convert::ConvertError&) {
      }
    }
  } catch (const bnn::convert::ConvertError&) {
  }
  return 0;
}
