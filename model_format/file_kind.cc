// SPDX-License-Identifier: Apache-2.0
#include "model_format/file_kind.h"

#include <cstring>
#include <string_view>

namespace bnn {
namespace {

bool starts_with(const uint8_t* data, size_t size, std::string_view magic) {
  return size >= magic.size() && std::memcmp(data, magic.data(), magic.size()) == 0;
}

bool contains(const uint8_t* data, size_t size, std::string_view text, size_t within) {
  const std::string_view head(reinterpret_cast<const char*>(data), size < within ? size : within);
  return head.find(text) != std::string_view::npos;
}

}  // namespace

bool is_zip(const uint8_t* data, size_t size) { return starts_with(data, size, "PK\x03\x04"); }

// A little-endian u64 header length (small: its top bytes zero), then JSON.
bool is_safetensors(const uint8_t* data, size_t size) {
  return size >= 9 && data[8] == '{' && data[7] == 0 && data[6] == 0;
}

bool is_weight_file(const uint8_t* data, size_t size) { return is_zip(data, size) || is_safetensors(data, size); }

std::string describe_non_model_file(const uint8_t* data, size_t size) {
  const std::string convert = "convert it first: bnn-convert FILE -o model.bnn";
  if (is_zip(data, size)) {
    return "a zip archive, as torch.save and torch.jit.save write (a PyTorch checkpoint): " + convert +
           " --arch NAME (bnn-convert --list-archs), or export ONNX";
  }
  // ONNX's ModelProto begins with ir_version (field 1, a varint) and names
  // its producer ("pytorch") or its opset domain near the start.
  if (size >= 2 && data[0] == 0x08 && data[1] < 0x80 &&
      (contains(data, size, "pytorch", 64) || contains(data, size, "onnx", 256))) {
    return "an ONNX model: " + convert;
  }
  if (is_safetensors(data, size)) return "a safetensors file: " + convert + " --arch NAME";
  if (size >= 2 && data[0] == 0x80 && data[1] >= 2 && data[1] <= 5) {  // a pickle: torch.save's legacy format
    return "a pickle (torch.save's legacy format): save it again with a current PyTorch (a zip archive), then " + convert +
           " --arch NAME";
  }
  if (starts_with(data, size, "\x93NUMPY")) return "a NumPy array (.npy): an input for bnn-run --input, not a model";
  if (starts_with(data, size, "\x89PNG") || starts_with(data, size, "\xFF\xD8\xFF") || starts_with(data, size, "BM") ||
      starts_with(data, size, "GIF8") || (size >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6')) {
    return "a picture, not a model: give pictures as arguments and the model with --model";
  }
  if (starts_with(data, size, "\x7F" "ELF")) return "a program or library, not a model";
  return "";
}

}  // namespace bnn
