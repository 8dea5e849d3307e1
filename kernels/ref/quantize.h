// SPDX-License-Identifier: Apache-2.0
// Reference quantize: float activations -> packed k-bit codes.
#pragma once

#include <cstdint>

namespace bnn {

// x: [rows][channels]. Per channel c, y = x * scale[c] + bias[c] (a null scale
// skips the multiply, a null bias the add), then
// q = #{ l : y >= thresholds[c][l] } over 2^bits - 1 thresholds. With one
// threshold at 0 this is the binarizer x >= 0 -> +1 (bit 1). NaN passes no
// threshold and becomes code 0.
void quantize_ref(const float* x, int64_t rows, int channels, const float* scale, const float* bias,
                  const float* thresholds, int bits, uint64_t* packed);

}  // namespace bnn
