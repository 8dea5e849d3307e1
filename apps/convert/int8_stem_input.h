// SPDX-License-Identifier: Apache-2.0
// --int8-stem as bnn-convert and the Python package run it: the input's range
// from calibration inputs, else from the model's preprocessing, then the
// converter's int8 stem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bnn {

// `calibration`: an .npy or a directory of pictures (apps/common/calibration.h),
// or "" for the preprocessing's mean/std. `summary` gets one line saying what
// was done (layer, range and its source, scale, zero point, weight error).
// Throws std::runtime_error when neither gives a range.
std::vector<uint8_t> int8_stem_with_input_range(const std::vector<uint8_t>& model, const std::string& calibration,
                                                std::string* summary);

}  // namespace bnn
