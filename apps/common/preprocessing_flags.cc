// SPDX-License-Identifier: Apache-2.0
#include "apps/common/preprocessing_flags.h"

#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "apps/common/cli.h"
#include "model_format/input_file.h"
#include "model_format/limits.h"
#include "model_format/printable_text.h"

namespace bnn::cli {

std::vector<float> parse_floats(const std::string& flag, const std::string& text) {
  std::vector<float> values;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    char* end = nullptr;
    const float v = std::strtof(item.c_str(), &end);
    if (item.empty() || *end) usage_error(flag + " needs numbers separated by commas, got '" + printable(text) + "'");
    values.push_back(v);
  }
  if (values.empty()) usage_error(flag + " needs numbers separated by commas");
  return values;
}

Preprocessing::Color parse_color(const std::string& text) {
  const std::string c = parse_choice("--color", text, {"rgb", "bgr", "grey", "gray"}, true);
  return c == "rgb" ? Preprocessing::Color::kRGB : c == "bgr" ? Preprocessing::Color::kBGR : Preprocessing::Color::kGray;
}

Preprocessing::Resize parse_resize(const std::string& text, float* crop_fraction) {
  const std::string bad =
      "--resize takes direct, short-side, short-side:FRACTION (0 < F <= 1) or fit, got '" + printable(text) + "'";
  if (text == "direct") return Preprocessing::Resize::kDirect;
  if (text == "fit") return Preprocessing::Resize::kFit;
  if (text.rfind("short-side", 0) != 0) usage_error(bad);
  const std::string rest = text.substr(10);
  if (!rest.empty()) {
    char* end = nullptr;
    const float f = std::strtof(rest.c_str() + 1, &end);
    if (rest[0] != ':' || rest.size() == 1 || *end || !(f > 0 && f <= 1)) usage_error(bad);
    *crop_fraction = f;
  }
  return Preprocessing::Resize::kShortSideCrop;
}

std::vector<std::string> read_labels(const std::string& path) {
  const std::vector<uint8_t> bytes = read_regular_file(path, limits::kMaxLabelsFileBytes, "kMaxLabelsFileBytes");
  std::vector<std::string> labels;
  std::string line;
  for (size_t i = 0; i <= bytes.size(); ++i) {
    if (i < bytes.size() && bytes[i] != '\n') {
      line += static_cast<char>(bytes[i]);
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) labels.push_back(line);
    line.clear();
  }
  return labels;
}

}  // namespace bnn::cli
