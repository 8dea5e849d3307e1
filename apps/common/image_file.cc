// SPDX-License-Identifier: Apache-2.0
#include "apps/common/image_file.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#include "apps/common/exif_orientation.h"
#include "model_format/crc32.h"
#include "model_format/input_file.h"
#include "model_format/limits.h"
#include "model_format/schema.h"

namespace {

// stb's allocations go through this cap, set per decode from the header's
// claimed size: compressed data that inflates past it fails as "outofmem"
// instead of taking gigabytes.
thread_local size_t t_allocation_cap = 0;
thread_local bool t_cap_hit = false;

void* capped_malloc(size_t bytes) {
  if (bytes > t_allocation_cap) {
    t_cap_hit = true;
    return nullptr;
  }
  return std::malloc(bytes);
}

void* capped_realloc(void* p, size_t bytes) {
  if (bytes > t_allocation_cap) {
    t_cap_hit = true;
    return nullptr;
  }
  return std::realloc(p, bytes);
}

}  // namespace

// stb_image, compiled here once: only the formats we document, no stdio (we
// read files ourselves, bounded), no float/HDR paths, the dimension cap and
// the allocation cap.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_FAILURE_USERMSG
#define STBI_MAX_DIMENSIONS (bnn::limits::kMaxImageDimension)
#define STBI_MALLOC(bytes) capped_malloc(bytes)
#define STBI_REALLOC(p, bytes) capped_realloc(p, bytes)
#define STBI_FREE(p) std::free(p)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wundef"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace bnn {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw std::runtime_error(name + ": " + what); }

uint32_t be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]; }
uint32_t le16(const uint8_t* p) { return p[0] | (uint32_t{p[1]} << 8); }
uint32_t le32(const uint8_t* p) { return le16(p) | (le16(p + 2) << 16); }

// ---- what the header claims, read by us: stbi_info's refusal of an oversized
// picture reaches the caller only as "unknown image type".

struct Claim {
  int64_t width = 0, height = 0;
  bool known = false;
};

// Where a JPEG's start-of-image marker ends, or 0 for anything else. stb
// skips 0xFF fill bytes before a marker, so FF FF D8 opens a JPEG too (a
// fuzz_image file slipped past the Huffman check that way).
size_t jpeg_start(const uint8_t* d, size_t n) {
  size_t i = 0;
  while (i < n && d[i] == 0xFF) ++i;
  return i >= 1 && i < n && d[i] == 0xD8 ? i + 1 : 0;
}

// Binary PNM headers: stb 2.27 reads each of the three numbers (width,
// height, maximum value) into an int without an overflow check (fuzz_image
// found a 100-digit width). Parsed here first, skipping whitespace and '#'
// comments as stb does: more than 9 digits is refused.
std::string pnm_header_problem(const uint8_t* d, size_t n) {
  size_t i = 2;
  for (int number = 0; number < 3; ++number) {
    while (i < n && (std::isspace(d[i]) || d[i] == '#')) {
      if (d[i] == '#') {
        while (i < n && d[i] != '\n' && d[i] != '\r') ++i;
      } else {
        ++i;
      }
    }
    size_t digits = 0;
    while (i < n && std::isdigit(d[i])) ++i, ++digits;
    if (digits > 9) return "corrupt (a header number has " + std::to_string(digits) + " digits)";
  }
  return "";
}

Claim claimed_size(const uint8_t* d, size_t n) {
  Claim c;
  if (n >= 24 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(d + 12, "IHDR", 4) == 0) {
    c = {be32(d + 16), be32(d + 20), true};
  } else if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
    if (le32(d + 14) == 12) {  // OS/2 core header: 16-bit sizes
      c = {le16(d + 18), le16(d + 20), true};
    } else {
      const int64_t h = static_cast<int32_t>(le32(d + 22));
      c = {static_cast<int32_t>(le32(d + 18)), h < 0 ? -h : h, true};  // negative height: rows stored top-down
    }
  } else if (const size_t soi_end = jpeg_start(d, n); soi_end != 0) {  // JPEG: walk the segments to the frame header
    for (size_t i = soi_end; i + 9 <= n;) {
      if (d[i] != 0xFF) break;
      const uint8_t marker = d[i + 1];
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        c = {be16(d + i + 7), be16(d + i + 5), true};
        break;
      }
      i += 2 + be16(d + i + 2);
    }
  }
  return c;
}

// ---- completeness: what stb 2.27 does not check.

// PNG: every chunk whole with a correct CRC, up to IEND.
std::string png_problem(const uint8_t* d, size_t n) {
  for (size_t i = 8;;) {
    if (n - i < 12) return "truncated (no IEND chunk)";
    const size_t length = be32(d + i);
    if (length > n - i - 12) return "truncated (a chunk runs past the end of the file)";
    const std::string type(reinterpret_cast<const char*>(d + i + 4), 4);
    if (crc32(d + i + 4, length + 4) != be32(d + i + 8 + length)) return "corrupt (chunk '" + type + "' fails its CRC)";
    if (type == "IEND") return "";
    i += 12 + length;
  }
}

// JPEG: the last end-of-image marker must follow the last start-of-scan
// (neither occurs inside entropy-coded data, where 0xFF is stuffed with 0x00,
// and an EXIF thumbnail's markers come before the main image's scans); and
// the scans are bounded, since each one revisits every block.
// Every Huffman table (DHT segment) must define at most 256 codes: stb 2.27
// writes its code lengths and symbols into 257- and 256-entry arrays without
// checking (fixed in stb 2.28; found by fuzz_image). stb resynchronizes on any
// 0xFF byte between segments and reads a segment past its stated length, so
// every FF C4 in the file is checked as a DHT, up to the file's end. (Inside
// entropy-coded data FF C4 cannot occur; inside an APP segment a false match
// would have to spell out over 256 codes to refuse a valid file.)
std::string jpeg_huffman_problem(const uint8_t* d, size_t n) {
  for (size_t i = 0; i + 4 <= n; ++i) {
    if (d[i] != 0xFF || d[i + 1] != 0xC4) continue;
    const size_t end = std::min(n, i + 2 + be16(d + i + 2));
    for (size_t t = i + 4; t < end;) {
      size_t codes = 0;
      // stb reads all 16 counts even where the segment's stated length ends
      // sooner: count them up to the file's end.
      for (size_t k = t + 1; k <= t + 16 && k < n; ++k) codes += d[k];
      if (codes > 256) return "corrupt (a Huffman table defines " + std::to_string(codes) + " codes; at most 256)";
      t += 17 + codes;
    }
  }
  return "";
}

std::string jpeg_problem(const uint8_t* d, size_t n) {
  long last_sos = -1, last_eoi = -1, scans = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (d[i] != 0xFF) continue;
    if (d[i + 1] == 0xDA) last_sos = static_cast<long>(i), ++scans;
    if (d[i + 1] == 0xD9) last_eoi = static_cast<long>(i);
  }
  if (scans > limits::kMaxJpegScans) {
    return "more than " + std::to_string(limits::kMaxJpegScans) + " scans (kMaxJpegScans)";
  }
  return last_eoi > last_sos ? "" : "truncated (the file ends before the picture does)";
}

// Binary PNM (P5 grey, P6 colour): three numbers, one whitespace byte, then
// width * height * channels samples of 1 or 2 bytes.
std::string pnm_problem(const uint8_t* d, size_t n, int width, int height) {
  size_t i = 2;
  long values[3] = {0, 0, 0};
  for (long& v : values) {
    while (i < n && (std::isspace(d[i]) || d[i] == '#')) {
      if (d[i] == '#') {
        while (i < n && d[i] != '\n' && d[i] != '\r') ++i;
      } else {
        ++i;
      }
    }
    if (i >= n || !std::isdigit(d[i])) return "corrupt header";
    while (i < n && std::isdigit(d[i]) && v < 1'000'000) v = v * 10 + (d[i++] - '0');
  }
  ++i;  // the single whitespace byte
  const uint64_t samples = uint64_t(width) * uint64_t(height) * (d[1] == '6' ? 3 : 1) * (values[2] > 255 ? 2 : 1);
  return i <= n && n - i >= samples ? "" : "truncated (the file ends before the picture does)";
}

// BMP, uncompressed (stb reads no RLE): the pixel rows, 4-byte aligned, from the data offset.
std::string bmp_problem(const uint8_t* d, size_t n, int width, int height) {
  if (n < 30) return "truncated header";
  const bool core = le32(d + 14) == 12;
  const uint32_t bits = le16(d + (core ? 24 : 28));
  const uint32_t compression = core || n < 34 ? 0 : le32(d + 30);
  if (compression != 0 && compression != 3) return "";  // stb refuses these itself
  const uint64_t row = (uint64_t(width) * bits + 31) / 32 * 4;
  const uint64_t end = uint64_t(le32(d + 10)) + row * uint64_t(height);
  return end <= n ? "" : "truncated (the file ends before the picture does)";
}

std::string container_problem(const uint8_t* d, size_t n, int width, int height) {
  if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return png_problem(d, n);
  if (jpeg_start(d, n) != 0) return jpeg_problem(d, n);
  if (n >= 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6')) return pnm_problem(d, n, width, height);
  if (n >= 2 && d[0] == 'B' && d[1] == 'M') return bmp_problem(d, n, width, height);
  return "";
}

std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason ? reason : "unknown error";
}

}  // namespace

void StbFree::operator()(uint8_t* pixels) const { stbi_image_free(pixels); }

DecodedImage decode_image(const uint8_t* data, size_t size, const std::string& name) {
  if (size == 0) fail(name, "empty file");
  if (size > static_cast<size_t>(limits::kMaxImageFileBytes)) {
    fail(name, "larger than " + std::to_string(limits::kMaxImageFileBytes) + " bytes (kMaxImageFileBytes)");
  }
  auto check_size = [&](int64_t width, int64_t height, const char* whose) {
    if (width > limits::kMaxImageDimension || height > limits::kMaxImageDimension) {
      fail(name, std::string(whose) + std::to_string(width) + "x" + std::to_string(height) + " pixels: more than " +
                     std::to_string(limits::kMaxImageDimension) + " per side (kMaxImageDimension)");
    }
    if (width * height > limits::kMaxImagePixels) {
      fail(name, std::string(whose) + std::to_string(width) + "x" + std::to_string(height) + " pixels: more than " +
                     std::to_string(limits::kMaxImagePixels) + " in all (kMaxImagePixels)");
    }
  };
  const Claim claim = claimed_size(data, size);
  if (claim.known) check_size(claim.width, claim.height, "the header claims ");
  // Before stb reads any of it: stbi_info already builds Huffman tables.
  if (jpeg_start(data, size) != 0) {
    if (const std::string problem = jpeg_huffman_problem(data, size); !problem.empty()) fail(name, problem);
  }
  if (size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6')) {
    if (const std::string problem = pnm_header_problem(data, size); !problem.empty()) fail(name, problem);
  }

  const int length = static_cast<int>(size);  // stb takes int; kMaxImageFileBytes < 2^31
  t_allocation_cap = size_t{1} << 20;  // reading a header needs only stb's decoder state
  int width = 0, height = 0, components = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &components)) {
    if (size >= 8 && fb::ModelBufferHasIdentifier(data)) fail(name, "a bnn model, not a picture: give it with --model");
    fail(name, "not a JPEG, PNG, BMP or PGM/PPM picture (" + stb_reason() + ")");
  }
  // stb's BMP header reader reports a top-down BMP (rows stored first to
  // last) with its negative height; its decoder handles such files.
  if (size >= 2 && data[0] == 'B' && data[1] == 'M' && height < 0 && height != INT_MIN) height = -height;
  if (width < 1 || height < 1) fail(name, "a picture with no pixels");
  check_size(width, height, "");
  const std::string problem = container_problem(data, size, width, height);
  if (!problem.empty()) fail(name, problem);

  // Grey stays grey; anything with alpha becomes RGBA (composited later).
  const int wanted = components == 1 ? 1 : components == 3 ? 3 : 4;
  t_allocation_cap = static_cast<size_t>(width) * height * 8 + (size_t{1} << 20);
  t_cap_hit = false;
  int w = 0, h = 0, c = 0;
  DecodedImage image;
  image.pixels.reset(stbi_load_from_memory(data, length, &w, &h, &c, wanted));
  if (!image.pixels) {
    if (t_cap_hit) fail(name, "corrupt (its data decompresses to more than its header's picture size)");
    fail(name, "cannot decode (" + stb_reason() + ")");
  }
  if (w != width || h != height) fail(name, "the header and the decoded picture disagree on its size");
  image.width = w;
  image.height = h;
  image.bytes = static_cast<size_t>(w) * h * wanted;
  // Upright as a viewer shows it: a phone's portrait photo is stored sideways.
  if (const int orientation = jpeg_exif_orientation(data, size); orientation != 1) {
    std::unique_ptr<uint8_t[], StbFree> upright(static_cast<uint8_t*>(std::malloc(image.bytes)));
    if (!upright) throw std::bad_alloc();
    orient_pixels(image.pixels.get(), w, h, wanted, orientation, upright.get(), &image.width, &image.height);
    image.pixels = std::move(upright);
  }
  image.format = wanted == 1 ? PixelFormat::kGray8 : wanted == 3 ? PixelFormat::kRGB888 : PixelFormat::kRGBA8888;
  return image;
}

DecodedImage read_image_file(const std::string& path) {
  // Opened once, and asked what it is before reading (a FIFO cannot block).
  const std::vector<uint8_t> bytes = read_regular_file(path, limits::kMaxImageFileBytes, "kMaxImageFileBytes");
  return decode_image(bytes.data(), bytes.size(), path);
}

bool is_picture_name(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".ppm", ".pnm"}) {
    if (ext == e) return true;
  }
  return false;
}

std::vector<std::string> pictures_in_directory(const std::string& directory) {
  std::vector<std::string> found;
  std::error_code error;
  // increment(error), not ++: an I/O error mid-listing ends the listing, it does not throw.
  std::filesystem::directory_iterator it(directory, error), end;
  for (; !error && it != end; it.increment(error)) {
    std::error_code type_error;
    if (it->is_regular_file(type_error) && is_picture_name(it->path().string()) &&
        it->path().filename().string()[0] != '.') {
      found.push_back(it->path().string());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace bnn
