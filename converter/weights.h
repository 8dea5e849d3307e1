// SPDX-License-Identifier: Apache-2.0
// Reading low-bit weights out of float ones: a binarized or k-bit quantized
// convolution exports its weights as floats taking a few levels per output
// channel (±alpha for sign(W) * mean|W|, DoReFa's 2^k uniform levels). This
// finds the smallest bit width and encoding that represent every channel
// exactly as scale[o] * code_value, and the codes in OHWI order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "converter/ir.h"
#include "kernels/types.h"

namespace bnn::convert {

struct LowBitWeights {
  int bits = 1;
  Encoding encoding = Encoding::kBipolar;
  std::vector<uint8_t> codes_ohwi;
  std::vector<float> scale;  // per output channel: real weight = scale * code value
  int64_t zeros = 0;         // weights exactly 0 stored as +scale (one bipolar bit cannot hold 0)
};

// `w` is OIHW. Throws ConvertError (prefixed by `where`) if no width up to 4
// bits represents it.
LowBitWeights low_bit_weights(const Constant& w, const std::string& where);

// OIHW floats to OHWI floats.
std::vector<float> oihw_to_ohwi(const Constant& w);

}  // namespace bnn::convert
