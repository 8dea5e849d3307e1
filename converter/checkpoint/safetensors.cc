// SPDX-License-Identifier: Apache-2.0
// safetensors: 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and [begin, end) in the byte buffer that follows.
// Checked before anything is read: the header length against its cap and the
// file, every range inside the buffer and the size its dtype and shape need,
// and no two ranges overlapping.
#include <algorithm>
#include <map>
#include <tuple>

#include "converter/checkpoint/json.h"
#include "converter/checkpoint/weight_file_impl.h"
#include "model_format/limits.h"

namespace bnn::convert {
namespace {

DType safetensors_dtype(const std::string& name) {
  if (name == "F32") return {"float32", 4, true};
  if (name == "F16") return {"float16", 2, true};
  if (name == "BF16") return {"bfloat16", 2, true};
  if (name == "F64") return {"float64", 8, false};
  if (name == "I64" || name == "U64") return {name == "I64" ? "int64" : "uint64", 8, false};
  if (name == "I32" || name == "U32") return {name == "I32" ? "int32" : "uint32", 4, false};
  if (name == "I16" || name == "U16") return {name == "I16" ? "int16" : "uint16", 2, false};
  if (name == "I8" || name == "U8" || name == "BOOL") return {name, 1, false};
  return {name, 0, false};
}

class Safetensors : public WeightFile {
 public:
  Safetensors(std::vector<uint8_t> bytes, const std::string& origin) : bytes_(std::move(bytes)), origin_(origin) {
    auto fail = [&](const std::string& why) { throw ConvertError(origin_ + ": not a valid safetensors file: " + why); };
    uint64_t header = 0;
    for (int i = 7; i >= 0; --i) header = (header << 8) | bytes_[static_cast<size_t>(i)];
    if (header > static_cast<uint64_t>(limits::kMaxSafetensorsHeaderBytes)) {
      fail("a header of " + std::to_string(header) + " bytes, more than " +
           std::to_string(limits::kMaxSafetensorsHeaderBytes) + " (kMaxSafetensorsHeaderBytes)");
    }
    if (header > bytes_.size() - 8) {
      fail("the header claims " + std::to_string(header) + " bytes; the file has " + std::to_string(bytes_.size() - 8));
    }
    buffer_ = 8 + static_cast<size_t>(header);
    const uint64_t buffer_size = bytes_.size() - buffer_;
    JsonValue root;
    try {
      root = parse_json(std::string(reinterpret_cast<const char*>(bytes_.data() + 8), static_cast<size_t>(header)));
    } catch (const std::exception& e) {
      fail(std::string("its header is not JSON (") + e.what() + ")");
    }
    if (root.kind != JsonValue::Kind::kObject) fail("its header is not a JSON object");
    std::vector<std::string> raw_names;
    std::vector<std::tuple<uint64_t, uint64_t, std::string>> ranges;
    for (const auto& [name, v] : root.members) {
      if (name == "__metadata__") continue;
      const JsonValue* dtype = v.get("dtype");
      const JsonValue* shape = v.get("shape");
      const JsonValue* offsets = v.get("data_offsets");
      if (v.kind != JsonValue::Kind::kObject || !dtype || dtype->kind != JsonValue::Kind::kString || !shape ||
          shape->kind != JsonValue::Kind::kArray || !offsets || offsets->kind != JsonValue::Kind::kArray ||
          offsets->items.size() != 2) {
        fail("tensor " + quoted(name) + " needs dtype, shape and data_offsets [begin, end]");
      }
      Entry e;
      e.type = safetensors_dtype(dtype->text);
      int64_t count = 1;
      for (const JsonValue& d : shape->items) {
        if (!d.is_integer || d.integer < 0) fail("tensor " + quoted(name) + " has a shape that is not whole numbers >= 0");
        if (d.integer != 0 && count > limits::kMaxOnnxConstantElements / d.integer) {
          fail("tensor " + quoted(name) + " has more than " + std::to_string(limits::kMaxOnnxConstantElements) +
               " elements (kMaxOnnxConstantElements)");
        }
        count *= d.integer;
        e.shape.push_back(d.integer);
      }
      for (const JsonValue& o : offsets->items) {
        if (!o.is_integer || o.integer < 0) fail("tensor " + quoted(name) + " has data_offsets that are not whole numbers >= 0");
      }
      e.begin = static_cast<uint64_t>(offsets->items[0].integer);
      e.end = static_cast<uint64_t>(offsets->items[1].integer);
      if (e.begin > e.end || e.end > buffer_size) {
        fail("tensor " + quoted(name) + " has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
             ") outside the " + std::to_string(buffer_size) + "-byte buffer");
      }
      if (e.type.bytes && e.end - e.begin != static_cast<uint64_t>(count) * e.type.bytes) {
        fail("tensor " + quoted(name) + " (" + e.type.name + ", " + std::to_string(count) + " elements) needs " +
             std::to_string(count * e.type.bytes) + " bytes; its range holds " + std::to_string(e.end - e.begin));
      }
      e.count = count;
      if (!entries_.emplace(name, e).second) fail("tensor " + quoted(name) + " appears twice");
      raw_names.push_back(name);
      if (e.end > e.begin) ranges.emplace_back(e.begin, e.end, name);  // an empty tensor holds no bytes
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
      const auto& [b0, e0, n0] = ranges[i - 1];
      const auto& [b1, e1, n1] = ranges[i];
      if (b1 < e0) {
        fail("tensors " + quoted(n0) + " [" + std::to_string(b0) + ", " + std::to_string(e0) + ") and " + quoted(n1) + " [" +
             std::to_string(b1) + ", " + std::to_string(e1) + ") share bytes of the buffer");
      }
    }
    names_ = strip_common_prefix(raw_names, "module.");
    for (size_t i = 0; i < names_.size(); ++i) raw_name_[names_[i]] = raw_names[i];
  }

  const std::vector<std::string>& names() const override { return names_; }

  bool shape(const std::string& name, std::vector<int64_t>* shape) const override {
    const Entry* e = find(name);
    if (!e) return false;
    *shape = e->shape;
    return true;
  }

  Constant read(const std::string& name) const override {
    const Entry* e = find(name);
    if (!e) throw ConvertError(origin_ + ": no tensor " + quoted(name) + "");
    if (!e->type.is_float) {
      throw ConvertError(origin_ + ": tensor " + quoted(name) + " is " + e->type.name +
                         "; weights must be float32, float16 or bfloat16");
    }
    Constant c;
    c.shape = e->shape;
    decode_elements(bytes_.data() + buffer_ + e->begin, e->type, e->count, c.values, [](int64_t i) { return i; });
    return c;
  }

 private:
  struct Entry {
    DType type;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;
    int64_t count = 0;
  };
  const Entry* find(const std::string& name) const {
    auto raw = raw_name_.find(name);
    if (raw == raw_name_.end()) return nullptr;
    return &entries_.at(raw->second);
  }

  std::vector<uint8_t> bytes_;
  std::string origin_;
  size_t buffer_ = 0;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> names_;
  std::map<std::string, std::string> raw_name_;  // stripped name -> name in the file
};

}  // namespace

std::unique_ptr<WeightFile> make_safetensors(std::vector<uint8_t> bytes, const std::string& origin) {
  return std::make_unique<Safetensors>(std::move(bytes), origin);
}

}  // namespace bnn::convert
