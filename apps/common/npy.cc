#include "apps/common/npy.h"

#include "model_format/limits.h"

#include <cstring>
#include <fstream>
#include <iterator>
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

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(path, "cannot open");
  const int64_t size = in.tellg();
  // The data is at most the largest array plus a header.
  if (size < 0 || size > limits::kMaxNpyElements * 4 + limits::kMaxNpyHeaderBytes + 16) {
    fail(path, "not readable, or larger than any .npy this reads (limit kMaxNpyElements)");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size && !in.read(reinterpret_cast<char*>(bytes.data()), size)) fail(path, "cannot read");
  return parse_npy(bytes.data(), bytes.size(), path);
}

NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& path) {
  const int64_t file_size = static_cast<int64_t>(size);
  if (file_size < 10 || std::memcmp(data, kMagic, 6) != 0) fail(path, "not a .npy file");
  const int major = data[6];
  size_t header_len = 0, header_start = 10;
  if (major == 1) {
    header_len = data[8] | static_cast<size_t>(data[9]) << 8;
  } else if (major == 2 || major == 3) {
    if (file_size < 12) fail(path, "truncated .npy header");
    header_len = data[8] | static_cast<size_t>(data[9]) << 8 | static_cast<size_t>(data[10]) << 16 |
                 static_cast<size_t>(data[11]) << 24;
    header_start = 12;
  } else {
    fail(path, ".npy version " + std::to_string(major) + " is not supported");
  }
  if (header_len > kMaxHeaderBytes || static_cast<int64_t>(header_start + header_len) > file_size) {
    fail(path, "truncated or oversized .npy header (limit kMaxNpyHeaderBytes)");
  }
  const std::string header(reinterpret_cast<const char*>(data) + header_start, header_len);

  const std::string descr = dict_value(header, "descr", path);
  if (descr != "'<f4'") fail(path, "the array must be float32 ('<f4'), found " + descr + " (use x.astype(np.float32))");
  if (dict_value(header, "fortran_order", path) != "False") fail(path, "the array must be in C order");

  NpyArray array;
  array.shape = parse_shape(dict_value(header, "shape", path), path);
  int64_t count = 1;
  for (int64_t d : array.shape) {
    count *= d;
    if (count > limits::kMaxNpyElements) fail(path, "the .npy array is too large (limit kMaxNpyElements)");
  }
  const int64_t data_bytes = file_size - static_cast<int64_t>(header_start + header_len);
  if (data_bytes != count * 4) {
    fail(path, "the header promises " + std::to_string(count * 4) + " bytes of data, the file holds " +
                   std::to_string(data_bytes));
  }
  array.data.resize(static_cast<size_t>(count));
  if (count) std::memcpy(array.data.data(), data + header_start + header_len, static_cast<size_t>(count) * 4);
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
  std::ofstream out(path, std::ios::binary);
  if (!out) fail(path, "cannot create");
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char len_bytes[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data), count * 4);
  if (!out) fail(path, "cannot write");
}

}  // namespace bnn
