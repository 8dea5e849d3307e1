// SPDX-License-Identifier: Apache-2.0
// Model::describe(): what `bnn-run --info` prints.
#include <cstdio>
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

}  // namespace

std::string Preprocessing::describe() const {
  std::ostringstream s;
  s << (color == Color::kGray ? "GRAY" : color == Color::kBGR ? "BGR" : "RGB") << ", HxW " << height << "x" << width;
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
  int64_t macs = 0;
  for (const LayerInfo& l : m.layers) macs += l.macs;
  char checksum[32];
  std::snprintf(checksum, sizeof checksum, "%016llx", static_cast<unsigned long long>(m.constants_checksum));
  s << m.layers.size() << " layers, " << count_string(macs) << " MACs, constants " << bytes_string(m.constants.size())
    << " (checksum " << checksum << "), activation arena " << bytes_string(m.arena_bytes) << " per session\n";
  s << "this CPU: " << cpu_model_name() << " (" << cpu_arch() << "), kernels for: " << available_isas() << "\n\n";

  // Columns padded to their width; long names widen their row, never cut it.
  auto row = [&s](const std::vector<std::pair<std::string, size_t>>& cells) {
    std::string line;
    for (const auto& [text, width] : cells) line += text + std::string(width > text.size() ? width - text.size() : 0, ' ') + " ";
    while (!line.empty() && line.back() == ' ') line.pop_back();
    s << line << "\n";
  };
  row({{"  #", 4}, {"layer", 22}, {"kind", 16}, {"bits", 10}, {"output (HWC)", 18}, {"MACs", 8}, {"weights", 10},
       {"kernel (schedule)", 0}});
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const LayerInfo& l = m.layers[i];
    const TensorInfo& o = m.tensor_infos[l.output];
    std::string index = std::to_string(i);
    index.insert(0, index.size() < 3 ? 3 - index.size() : 0, ' ');
    row({{index, 4}, {printable(l.name), 22}, {l.kind, 16}, {l.precision, 10}, {type_string(o) + " " + shape_string(o.shape), 18},
         {count_string(l.macs), 8}, {l.weight_bytes ? bytes_string(l.weight_bytes) : "-", 10},
         {printable(l.kernel + " (" + l.schedule + ")"), 0}});
    if (!l.schedule_note.empty()) s << "     note: " << printable(l.schedule_note) << "\n";
  }
  if (!m.labels.empty()) {
    s << "\nlabels:";
    for (size_t i = 0; i < m.labels.size(); ++i) s << (i ? ", " : " ") << printable(m.labels[i]);
    s << "\n";
  }
  return s.str();
}

}  // namespace bnn
