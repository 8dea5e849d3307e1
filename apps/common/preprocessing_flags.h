// SPDX-License-Identifier: Apache-2.0
// The picture-preprocessing flags bnn-convert records in a model and
// bnn-classify overrides at run time (--mean, --std, --color, --resize,
// --labels): one spelling and one parser for both.
#pragma once

#include <string>
#include <vector>

#include "bnn/engine.h"

namespace bnn::cli {

// "0.485,0.456,0.406" -> numbers, or a usage error naming `flag`.
std::vector<float> parse_floats(const std::string& flag, const std::string& text);
// rgb | bgr | grey (gray), any case.
Preprocessing::Color parse_color(const std::string& text);
// direct | fit | short-side[:FRACTION]; the fraction (0 < F <= 1) goes to *crop_fraction.
Preprocessing::Resize parse_resize(const std::string& text, float* crop_fraction);
// One label per non-empty line (a trailing \r dropped), bounded by kMaxLabelsFileBytes.
std::vector<std::string> read_labels(const std::string& path);

}  // namespace bnn::cli
