// SPDX-License-Identifier: Apache-2.0
// A strict JSON reader for safetensors headers: objects, arrays, strings,
// numbers, true/false/null; nesting bounded by limits::kMaxPickleDepth.
// Integers keep 64-bit precision (safetensors offsets can pass 2^53).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bnn::convert {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  bool is_integer = false;  // a number written without fraction or exponent
  int64_t integer = 0;      // its value, when is_integer and it fits
  std::string text;
  std::vector<JsonValue> items;                            // kArray
  std::vector<std::pair<std::string, JsonValue>> members;  // kObject, in file order

  const JsonValue* get(const std::string& key) const;
};

// Parses `text` whole. Throws std::runtime_error with the byte offset.
JsonValue parse_json(const std::string& text);

}  // namespace bnn::convert
