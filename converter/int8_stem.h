// SPDX-License-Identifier: Apache-2.0
// bnn-convert --int8-stem: the network's first convolution run in 8-bit
// integers (the Int8Conv2D layer, bnn.fbs). Opt-in, never the default: the
// exact model stays what bnn-convert writes without the flag.
//
// - Input: uint8 per tensor with a zero point over the range the input can
//   take (from calibration inputs, else from the preprocessing's mean/std),
//   widened to include 0 so that zero padding stays exact.
// - Weights: int8 per output channel, symmetric, scale = max |w| / 127.
// - The float transform's scale becomes input scale x weight scale (x the
//   convolution's own scale), computed in double and rounded once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model_format/schema.h"

namespace bnn::convert {

struct InputRange {
  float min = 0.0f, max = 0.0f;
  std::string source;  // where it came from, for the report: "--calibration x.npy (100 inputs)"
};

// The range the model's preprocessing gives a picture: (0 - mean) / std to
// (1 - mean) / std over the channels; nothing without mean and std.
std::optional<InputRange> preprocessing_range(const std::vector<uint8_t>& model);

struct Int8StemReport {
  std::string layer;       // the convolution made int8
  float input_scale = 0.0f;
  int input_zero_point = 0;
  double max_weight_error = 0.0;  // largest |w - dequantized w| / max |w| of its channel
};

// The model with its first convolution in int8: the first Conv2D, which
// must read the model's input. Throws ConvertError when there is none, or
// when the range is empty or not finite.
std::vector<uint8_t> int8_stem(const std::vector<uint8_t>& model, const InputRange& range, Int8StemReport* report);

}  // namespace bnn::convert
