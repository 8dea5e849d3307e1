// SPDX-License-Identifier: Apache-2.0
#include "apps/convert/int8_stem_input.h"

#include <cstdio>
#include <stdexcept>

#include "apps/common/calibration.h"
#include "converter/int8_stem.h"
#include "model_format/printable_text.h"

namespace bnn {

std::vector<uint8_t> int8_stem_with_input_range(const std::vector<uint8_t>& model, const std::string& calibration,
                                                std::string* summary) {
  convert::InputRange range;
  if (!calibration.empty()) {
    const CalibrationRange c = calibration_range(calibration, model);
    range = {c.min, c.max, "--calibration " + printable(calibration) + " (" + std::to_string(c.inputs) + " inputs)"};
  } else if (const auto from_metadata = convert::preprocessing_range(model)) {
    range = *from_metadata;
  } else {
    throw std::runtime_error(
        "--int8-stem needs the input's range: give --calibration X.npy|DIR (example inputs), or --mean and --std "
        "(pixels 0 to 255 normalized)");
  }
  convert::Int8StemReport report;
  std::vector<uint8_t> quantized = convert::int8_stem(model, range, &report);
  char line[512];
  std::snprintf(line, sizeof line,
                "int8 stem: layer '%s'; input range %.4g to %.4g from %s: scale %.6g, zero point %d; "
                "weights int8 per channel, largest error %.2g%% of a channel's largest weight",
                printable(report.layer).c_str(), range.min, range.max, range.source.c_str(), report.input_scale,
                report.input_zero_point, 100.0 * report.max_weight_error);
  if (summary) *summary = line;
  return quantized;
}

}  // namespace bnn
