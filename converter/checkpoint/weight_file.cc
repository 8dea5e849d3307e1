// SPDX-License-Identifier: Apache-2.0
#include "converter/checkpoint/weight_file.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "converter/checkpoint/weight_file_impl.h"
#include "model_format/file_kind.h"
#include "model_format/input_file.h"
#include "model_format/limits.h"

namespace bnn::convert {

double half_to_double(uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  double v;
  if (exponent == 0) {
    v = std::ldexp(mantissa, -24);  // subnormal
  } else if (exponent == 31) {
    v = mantissa ? NAN : INFINITY;
  } else {
    v = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return sign ? -v : v;
}

double bfloat16_to_double(uint16_t bits) {
  const uint32_t f = uint32_t{bits} << 16;
  float v;
  std::memcpy(&v, &f, 4);
  return v;
}

void decode_elements(const uint8_t* p, const DType& type, int64_t count, std::vector<double>& out,
                     const std::function<int64_t(int64_t)>& element_offset) {
  out.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* e = p + element_offset(i) * type.bytes;
    if (type.name == "float32") {
      float v;
      std::memcpy(&v, e, 4);
      out[static_cast<size_t>(i)] = v;
    } else if (type.name == "float16") {
      out[static_cast<size_t>(i)] = half_to_double(static_cast<uint16_t>(e[0] | (e[1] << 8)));
    } else {  // bfloat16
      out[static_cast<size_t>(i)] = bfloat16_to_double(static_cast<uint16_t>(e[0] | (e[1] << 8)));
    }
  }
}

std::vector<std::string> strip_common_prefix(std::vector<std::string> names, const std::string& prefix) {
  for (const std::string& n : names) {
    if (n.compare(0, prefix.size(), prefix) != 0) return names;
  }
  for (std::string& n : names) n.erase(0, prefix.size());
  return names;
}

std::unique_ptr<WeightFile> parse_weight_file(std::vector<uint8_t> bytes, const std::string& origin) {
  if (is_zip(bytes.data(), bytes.size())) return make_torch_checkpoint(std::move(bytes), origin);
  if (is_safetensors(bytes.data(), bytes.size())) return make_safetensors(std::move(bytes), origin);
  if (bytes.size() >= 2 && bytes[0] == 0x80 && bytes[1] >= 2) {
    throw ConvertError(origin + ": a torch.save file in the legacy format (PyTorch before 1.6), which is not read; "
                       "load it once with that PyTorch and torch.save(state_dict, path) it again under 1.6 or later");
  }
  throw ConvertError(origin + ": neither a torch.save checkpoint (zip) nor a safetensors file");
}

bool is_weight_file_path(const std::string& path) {
  InputFile in(path);
  uint8_t magic[9] = {};
  if (!in.error().empty() || in.size() < 9 || !in.read_exactly(magic, sizeof magic).empty()) return false;
  if (!is_weight_file(magic, sizeof magic)) return false;
  open_weight_file(path);  // throws when the checkpoint reader refuses it
  return true;
}

std::unique_ptr<WeightFile> open_weight_file(const std::string& path) {
  InputFile in(path);
  if (!in.error().empty()) throw ConvertError(path + ": " + in.error());
  const int64_t size = in.size();
  if (size > limits::kMaxCheckpointBytes) {
    throw ConvertError(path + ": larger than " + std::to_string(limits::kMaxCheckpointBytes) + " bytes (kMaxCheckpointBytes)");
  }
  // A 32-bit size_t (armv7) holds less than the limit: say so, not a wrapped size.
  if (static_cast<uint64_t>(size) >= std::numeric_limits<size_t>::max()) {
    throw ConvertError(path + ": " + std::to_string(size) + " bytes do not fit this machine's address space");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (const std::string e = in.read_exactly(bytes.data(), bytes.size()); !e.empty()) throw ConvertError(path + ": " + e);
  return parse_weight_file(std::move(bytes), path);
}

}  // namespace bnn::convert
