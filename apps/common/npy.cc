// SPDX-License-Identifier: Apache-2.0
#include "apps/common/npy.h"

#include "model_format/input_file.h"
#include "model_format/limits.h"
#include "model_format/output_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace bnn {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMaxHeaderBytes = limits::kMaxNpyHeaderBytes;
constexpr int kMaxRank = limits::kMaxNpyRank;

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(path + ": " + why);
}

// The value text of `key` in the header dict, e.g. "'<f4'" or "(1, 3, 8, 8)".
// The key must appear as a dict key ("'key':"), not inside another value.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  const std::string quoted = "'" + key + "':";
  size_t at = header.find(quoted);
  if (at == std::string::npos || (at > 0 && header[at - 1] != '{' && header[at - 1] != ' ' && header[at - 1] != ',')) {
    fail(path, "the .npy header has no '" + key + "'");
  }
  at += quoted.size();
  while (at < header.size() && header[at] == ' ') ++at;
  size_t end = at;
  if (end < header.size() && header[end] == '(') {
    end = header.find(')', end);
    if (end == std::string::npos) fail(path, "malformed .npy shape");
    return header.substr(at, end - at + 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  return header.substr(at, end - at);
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& path) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') fail(path, "malformed .npy shape " + text);
  std::vector<int64_t> shape;
  size_t i = 1;  // past '('
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i + 1 >= text.size()) break;  // at the closing ')'
    if (text[i] < '0' || text[i] > '9') fail(path, "malformed .npy shape " + text);
    int64_t d = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      d = d * 10 + (text[i] - '0');
      if (d > limits::kMaxNpyElements) fail(path, "a .npy dimension is too large (limit kMaxNpyElements)");
      ++i;
    }
    shape.push_back(d);
    if (shape.size() > kMaxRank) fail(path, "the .npy array has more than 8 dimensions");
  }
  return shape;
}

// Where the header ends (the data starts), from the file's first 12 bytes (or
// all of it when shorter), checked against the file's size.
size_t data_offset(const uint8_t* data, size_t size, int64_t file_size, const std::string& path) {
  if (file_size < 10 || size < 10 || std::memcmp(data, kMagic, 6) != 0) fail(path, "not a .npy file");
  const int major = data[6];
  size_t header_len = 0, header_start = 10;
  if (major == 1) {
    header_len = data[8] | static_cast<size_t>(data[9]) << 8;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail(path, "truncated .npy header");
    header_len = data[8] | static_cast<size_t>(data[9]) << 8 | static_cast<size_t>(data[10]) << 16 |
                 static_cast<size_t>(data[11]) << 24;
    header_start = 12;
  } else {
    fail(path, ".npy version " + std::to_string(major) + " is not supported");
  }
  if (header_len > kMaxHeaderBytes || static_cast<int64_t>(header_start + header_len) > file_size) {
    fail(path, "truncated or oversized .npy header (limit kMaxNpyHeaderBytes)");
  }
  return header_start + header_len;
}

// The shape the header (data[0, offset)) declares, its element count checked
// against the data the file holds.
std::vector<int64_t> parse_header(const uint8_t* data, size_t offset, int64_t file_size, const std::string& path) {
  const size_t header_start = data[6] == 1 ? 10 : 12;
  const std::string header(reinterpret_cast<const char*>(data) + header_start, offset - header_start);
  const std::string descr = dict_value(header, "descr", path);
  if (descr != "'<f4'") fail(path, "the array must be float32 ('<f4'), found " + descr + " (use x.astype(np.float32))");
  if (dict_value(header, "fortran_order", path) != "False") fail(path, "the array must be in C order");
  std::vector<int64_t> shape = parse_shape(dict_value(header, "shape", path), path);
  int64_t count = 1;
  for (int64_t d : shape) {
    count *= d;
    if (count > limits::kMaxNpyElements) fail(path, "the .npy array is too large (limit kMaxNpyElements)");
  }
  const int64_t data_bytes = file_size - static_cast<int64_t>(offset);
  if (data_bytes != count * 4) {
    fail(path, "the header promises " + std::to_string(count * 4) + " bytes of data, the file holds " +
                   std::to_string(data_bytes));
  }
  return shape;
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  // The header first: a file that is no .npy, or whose header promises other
  // than the file holds, is refused before its data is read or allocated.
  InputFile file(path);
  if (!file.error().empty()) fail(path, file.error());
  const int64_t file_size = file.size();
  // 10 bytes hold version 1's header length, 12 those of versions 2 and 3.
  std::vector<uint8_t> header(static_cast<size_t>(std::min<int64_t>(file_size, 10)));
  if (const std::string e = file.read_exactly(header.data(), header.size()); !e.empty()) fail(path, e);
  if (header.size() == 10 && file_size >= 12 && (header[6] == 2 || header[6] == 3)) {
    header.resize(12);
    if (const std::string e = file.read_exactly(header.data() + 10, 2); !e.empty()) fail(path, e);
  }
  const size_t offset = data_offset(header.data(), header.size(), file_size, path);
  const size_t have = header.size();
  header.resize(offset);
  if (const std::string e = file.read_exactly(header.data() + have, offset - have); !e.empty()) fail(path, e);
  NpyArray array;
  array.shape = parse_header(header.data(), offset, file_size, path);
  array.data.resize(static_cast<size_t>(element_count(array.shape)));
  if (const std::string e = file.read_exactly(array.data.data(), array.data.size() * 4); !e.empty()) fail(path, e);
  return array;
}

NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& path) {
  const int64_t file_size = static_cast<int64_t>(size);
  const size_t offset = data_offset(data, size, file_size, path);
  NpyArray array;
  array.shape = parse_header(data, offset, file_size, path);
  array.data.resize(static_cast<size_t>(element_count(array.shape)));
  if (!array.data.empty()) std::memcpy(array.data.data(), data + offset, array.data.size() * 4);
  return array;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  // Python's tuple syntax: "(2, 3)", "(3,)", "()".
  std::string shape_text = "(";
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    shape_text += (i ? ", " : "") + std::to_string(shape[i]);
    count *= shape[i];
  }
  shape_text += shape.size() == 1 ? ",)" : ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text;
  header += ", }";
  // Pad with spaces so the data starts 64-byte aligned, ending with '\n'.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  const uint16_t len = static_cast<uint16_t>(header.size());
  const std::string preamble = std::string(kMagic, 6) + '\x01' + '\x00' + static_cast<char>(len & 0xFF) +
                               static_cast<char>(len >> 8);
  OutputFile out(path);
  out.write(preamble.data(), preamble.size());
  out.write(header.data(), header.size());
  out.write(data, static_cast<size_t>(count) * 4);
  out.commit();
}

}  // namespace bnn
