// SPDX-License-Identifier: Apache-2.0
// bnn-convert --calibration: the range of values a model's input takes, from
// example inputs (an .npy batch) or from pictures read through the model's own
// preprocessing, for --int8-stem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bnn {

struct CalibrationRange {
  float min = 0.0f, max = 0.0f;
  int inputs = 0;  // how many inputs (pictures, or the .npy's batch entries) were read
};

// `path`: a float32 .npy of shape C x H x W or N x C x H x W (the model's
// input), or a directory of pictures; `model`: the converted (float) model
// whose input and preprocessing they go through. Progress on stderr when it
// is a terminal. Throws std::runtime_error naming the file at fault.
CalibrationRange calibration_range(const std::string& path, const std::vector<uint8_t>& model);

}  // namespace bnn
