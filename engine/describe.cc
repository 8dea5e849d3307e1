// SPDX-License-Identifier: Apache-2.0
// A model described for people and programs: Model::describe() (the text
// `bnn-run --info` prints), Model::describe_json() (`--info --json`, the
// Python package's Model.info()) and Preprocessing::describe().
#include <algorithm>
#include <cstdio>
#include <charconv>
#include <locale>
#include <sstream>

#include "engine/model_impl.h"
#include "kernels/cpu_features.h"
#include "model_format/printable_text.h"

namespace bnn {
namespace {

std::string shape_string(const std::vector<int>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string type_string(const TensorInfo& t) {
  switch (t.type) {
    case ElementType::kFloat32: return "f32";
    case ElementType::kInt8: return "i8";
    case ElementType::kInt32: return "i32";
    case ElementType::kPacked: return std::to_string(t.bits) + "b" + (t.bipolar ? "+-" : "u");
  }
  return "?";
}

std::string bytes_string(int64_t bytes) {
  char buf[32];
  if (bytes < 10 * 1024) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else if (bytes < 10 * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }
  return buf;
}

std::string count_string(int64_t n) {
  char buf[32];
  if (n == 0) return "-";
  if (n < 10000) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  else if (n < 10000000) std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
  return buf;
}

std::string floats_string(const std::vector<float>& v) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  return s.str() + "]";
}

// Characters a terminal shows: UTF-8 continuation bytes take no column.
size_t display_width(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

const char* color_name(Preprocessing::Color c) {
  return c == Preprocessing::Color::kGray ? "GRAY" : c == Preprocessing::Color::kBGR ? "BGR" : "RGB";
}

// As bnn-convert's --resize spells them.
const char* resize_name(Preprocessing::Resize r) {
  switch (r) {
    case Preprocessing::Resize::kDirect: return "direct";
    case Preprocessing::Resize::kShortSideCrop: return "short-side";
    case Preprocessing::Resize::kFit: return "fit";
  }
  return "?";
}

int64_t total_macs(const std::vector<LayerInfo>& layers) {
  int64_t macs = 0;
  for (const LayerInfo& l : layers) macs += l.macs;
  return macs;
}

std::string checksum_string(uint64_t checksum) {
  char text[32];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(checksum));
  return text;
}

}  // namespace

std::string Preprocessing::describe() const {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << color_name(color) << ", HxW " << height << "x" << width;
  switch (resize) {
    case Resize::kDirect: s << ", direct resize"; break;
    case Resize::kShortSideCrop: s << ", short-side resize, centre crop " << crop_fraction; break;
    case Resize::kFit: s << ", fit (aspect kept, padded)"; break;
  }
  if (invert) s << ", invert light backgrounds";
  s << ", mean " << (mean.empty() ? "0" : floats_string(mean)) << ", std " << (stddev.empty() ? "1" : floats_string(stddev));
  return s.str();
}

std::string Model::describe() const {
  const Impl& m = *impl_;
  std::ostringstream s;
  s.imbue(std::locale::classic());
  // Names, labels and the description come from the file: printed escaped.
  s << "schema version " << m.schema_version << ", producer '" << printable(m.producer) << "'\n";
  if (!m.description.empty()) s << "description: " << printable(m.description) << "\n";
  for (const std::string& w : m.warnings) s << "warning: " << printable(w) << "\n";
  const TensorInfo& in = m.tensor_infos[m.input];
  const TensorInfo& out = m.tensor_infos[m.output];
  s << "input:  '" << printable(in.name) << "' " << type_string(in) << " CHW " << shape_string(in.shape_chw()) << "\n";
  s << "preprocessing: " << m.preprocessing.describe() << "\n";
  s << "\noutput: '" << printable(out.name) << "' " << type_string(out) << " " << shape_string(out.shape_chw()) << ", "
    << m.labels.size() << " labels\n";
  s << m.layers.size() << " layers, " << count_string(total_macs(m.layers)) << " MACs, constants "
    << bytes_string(m.constants.size()) << " (checksum " << checksum_string(m.constants_checksum) << "), activation arena " << bytes_string(m.arena_bytes) << " per session\n";
  s << "this CPU: " << cpu_model_name() << " (" << cpu_arch() << "), kernels for: " << available_isas() << "\n\n";

  // Each column as wide as its widest cell, so long layer names keep the table aligned.
  std::vector<std::vector<std::string>> table = {{"#", "layer", "kind", "bits", "output (HWC)", "MACs", "weights", "kernel (schedule)"}};
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const LayerInfo& l = m.layers[i];
    const TensorInfo& o = m.tensor_infos[l.output];
    table.push_back({std::to_string(i), printable(l.name), l.kind, l.precision, type_string(o) + " " + shape_string(o.shape),
                     count_string(l.macs), l.weight_bytes ? bytes_string(l.weight_bytes) : "-",
                     printable(l.kernel + " (" + l.schedule + ")")});
  }
  std::vector<size_t> width(table[0].size(), 0);
  for (const auto& cells : table) {
    for (size_t c = 0; c < cells.size(); ++c) width[c] = std::max(width[c], display_width(cells[c]));
  }
  for (size_t r = 0; r < table.size(); ++r) {
    std::string line = "  ";
    for (size_t c = 0; c < table[r].size(); ++c) {
      const size_t pad = width[c] - display_width(table[r][c]);
      if (c == 0) line += std::string(pad, ' ') + table[r][c];  // the index right-aligned
      else if (c + 1 < table[r].size()) line += "  " + table[r][c] + std::string(pad, ' ');
      else line += "  " + table[r][c];
    }
    s << line << "\n";
    if (r > 0 && !m.layers[r - 1].schedule_note.empty()) s << "     note: " << printable(m.layers[r - 1].schedule_note) << "\n";
  }
  if (!m.labels.empty()) {
    s << "\nlabels:";
    for (size_t i = 0; i < m.labels.size(); ++i) s << (i ? ", " : " ") << printable(m.labels[i]);
    s << "\n";
  }
  return s.str();
}

namespace {

std::string json_ints(const std::vector<int>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// A float in JSON's spelling whatever the process's locale (an embedding app
// may have called setlocale), the shortest that reads back as the same float:
// 0.485f is "0.485", not "0.485000014".
std::string json_float(float x) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, x).ptr;
  return std::string(text, end);
}

std::string json_floats(const std::vector<float>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_float(v[i]);
  return s + "]";
}

std::string json_strings(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_string(v[i]);
  return s + "]";
}

std::string json_tensor(const TensorInfo& t) {
  return "{\"name\": " + json_string(t.name) + ", \"type\": \"" + type_string(t) + "\", \"shape_chw\": " +
         json_ints(t.shape_chw()) + "}";
}

}  // namespace

std::string Model::describe_json() const {
  const Impl& m = *impl_;
  const Preprocessing& p = m.preprocessing;
  // A model without mean or std uses 0 and 1: said per channel, as given ones are.
  const size_t channels = static_cast<size_t>(std::max(p.channels, 0));
  const std::vector<float> mean = p.mean.empty() ? std::vector<float>(channels, 0.0f) : p.mean;
  const std::vector<float> stddev = p.stddev.empty() ? std::vector<float>(channels, 1.0f) : p.stddev;
  std::ostringstream s;
  s.imbue(std::locale::classic());  // integers without a locale's digit grouping
  s << "{\"schema_version\": " << m.schema_version << ", \"producer\": " << json_string(m.producer)
    << ", \"description\": " << json_string(m.description) << ", \"warnings\": " << json_strings(m.warnings) << ",\n";
  s << " \"input\": " << json_tensor(m.tensor_infos[m.input]) << ",\n";
  s << " \"output\": " << json_tensor(m.tensor_infos[m.output]) << ",\n";
  s << " \"preprocessing\": {\"color\": \"" << color_name(p.color) << "\", \"resize\": \"" << resize_name(p.resize)
    << "\", \"crop_fraction\": " << json_float(p.crop_fraction) << ", \"invert\": " << (p.invert ? "true" : "false")
    << ", \"mean\": " << json_floats(mean) << ", \"std\": " << json_floats(stddev) << ", \"height\": " << p.height
    << ", \"width\": " << p.width << ", \"channels\": " << p.channels << "},\n";
  s << " \"labels\": " << json_strings(m.labels) << ",\n";
  s << " \"macs\": " << total_macs(m.layers) << ", \"constant_bytes\": " << m.constants.size()
    << ", \"constants_checksum\": \"" << checksum_string(m.constants_checksum) << "\", \"arena_bytes\": " << m.arena_bytes << ",\n";
  s << " \"cpu\": {\"model\": " << json_string(cpu_model_name()) << ", \"arch\": " << json_string(cpu_arch())
    << ", \"kernels_for\": " << json_string(available_isas()) << "},\n";
  s << " \"layers\": [";
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const LayerInfo& l = m.layers[i];
    s << (i ? ",\n  " : "\n  ") << "{\"index\": " << i << ", \"name\": " << json_string(l.name) << ", \"kind\": "
      << json_string(l.kind) << ", \"bits\": " << json_string(l.precision) << ", \"output\": "
      << json_tensor(m.tensor_infos[l.output]) << ", \"macs\": " << l.macs << ", \"weight_bytes\": " << l.weight_bytes
      << ", \"kernel\": " << json_string(l.kernel) << ", \"schedule\": " << json_string(l.schedule)
      << ", \"schedule_note\": " << json_string(l.schedule_note) << "}";
  }
  s << "]}\n";
  return s.str();
}

}  // namespace bnn
