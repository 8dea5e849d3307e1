#include "apps/common/image_file.h"

#include <sys/stat.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "model_format/limits.h"

// stb_image, compiled here once: only the formats we document, no stdio (we
// read files ourselves, bounded), no float/HDR paths, and the dimension cap.
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

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason ? reason : "unknown error";
}

// stb_image 2.27 pads a truncated JPEG, binary PGM/PPM or BMP with zeros (or
// leaves the rest of the buffer as it was) instead of failing. These checks
// catch the truncation from the container alone; PNG's zlib stream and CRCs
// already fail in stb.
bool jpeg_complete(const uint8_t* d, size_t n) {
  // The last end-of-image marker must follow the last start-of-scan: neither
  // can occur inside entropy-coded data (0xFF there is stuffed with 0x00), and
  // an EXIF thumbnail's own markers come before the main image's scans.
  long last_sos = -1, last_eoi = -1;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (d[i] != 0xFF) continue;
    if (d[i + 1] == 0xDA) last_sos = static_cast<long>(i);
    if (d[i + 1] == 0xD9) last_eoi = static_cast<long>(i);
  }
  return last_eoi > last_sos;
}

// Binary PNM (P5 grey, P6 colour): the header's three numbers, then one
// whitespace byte, then exactly width * height * channels samples.
bool pnm_complete(const uint8_t* d, size_t n, int width, int height) {
  size_t i = 2;
  long values[3] = {0, 0, 0};
  for (long& v : values) {
    while (i < n && (std::isspace(d[i]) || d[i] == '#')) {
      if (d[i] == '#') {
        while (i < n && d[i] != '\n') ++i;
      } else {
        ++i;
      }
    }
    if (i >= n || !std::isdigit(d[i])) return false;
    while (i < n && std::isdigit(d[i]) && v < 1'000'000) v = v * 10 + (d[i++] - '0');
  }
  ++i;  // the single whitespace byte
  const uint64_t samples = uint64_t(width) * uint64_t(height) * (d[1] == '6' ? 3 : 1) * (values[2] > 255 ? 2 : 1);
  return i <= n && n - i >= samples;
}

// BMP: the file header's own size field, when the writer filled it in.
bool bmp_complete(const uint8_t* d, size_t n) {
  if (n < 6) return false;
  const uint32_t declared = d[2] | (d[3] << 8) | (d[4] << 16) | (uint32_t(d[5]) << 24);
  return declared == 0 || declared <= n;
}

// The size a header claims, read before stb sees the file: stbi_info's own
// refusal of an oversized picture reaches us only as "unknown image type".
uint32_t be16(const uint8_t* p) { return (p[0] << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
int64_t le32s(const uint8_t* p) { return int32_t(p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24)); }

bool claimed_size(const uint8_t* d, size_t n, int64_t* width, int64_t* height) {
  if (n >= 24 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(d + 12, "IHDR", 4) == 0) {
    *width = be32(d + 16), *height = be32(d + 20);
    return true;
  }
  if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
    const int64_t h = le32s(d + 22);
    *width = le32s(d + 18), *height = h < 0 ? -h : h;  // negative: rows stored top-down
    return true;
  }
  if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8) {  // JPEG: walk the segments to the frame header
    for (size_t i = 2; i + 9 <= n;) {
      if (d[i] != 0xFF) return false;
      const uint8_t marker = d[i + 1];
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        *height = be16(d + i + 5), *width = be16(d + i + 7);
        return true;
      }
      i += 2 + be16(d + i + 2);
    }
  }
  return false;
}

bool complete(const uint8_t* d, size_t n, int width, int height) {
  if (n >= 2 && d[0] == 0xFF && d[1] == 0xD8) return jpeg_complete(d, n);
  if (n >= 2 && d[0] == 'P' && (d[1] == '5' || d[1] == '6')) return pnm_complete(d, n, width, height);
  if (n >= 2 && d[0] == 'B' && d[1] == 'M') return bmp_complete(d, n);
  return true;
}

}  // namespace

DecodedImage decode_image(const uint8_t* data, size_t size, const std::string& name) {
  if (size == 0) fail(name, "empty file");
  if (size > static_cast<size_t>(limits::kMaxImageFileBytes)) {
    fail(name, "larger than " + std::to_string(limits::kMaxImageFileBytes) + " bytes (kMaxImageFileBytes)");
  }
  const int length = static_cast<int>(size);  // stb takes int; kMaxImageFileBytes < 2^31
  int64_t claimed_width = 0, claimed_height = 0;
  if (claimed_size(data, size, &claimed_width, &claimed_height)) {
    if (claimed_width > limits::kMaxImageDimension || claimed_height > limits::kMaxImageDimension) {
      fail(name, "the header claims " + std::to_string(claimed_width) + "x" + std::to_string(claimed_height) +
                     " pixels: more than " + std::to_string(limits::kMaxImageDimension) + " per side (kMaxImageDimension)");
    }
  }
  int width = 0, height = 0, components = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &components)) {
    fail(name, "not a JPEG, PNG, BMP or PGM/PPM picture (" + stb_reason() + ")");
  }
  if (width < 1 || height < 1 || width > limits::kMaxImageDimension || height > limits::kMaxImageDimension) {
    fail(name, std::to_string(width) + "x" + std::to_string(height) + " pixels: more than " +
                   std::to_string(limits::kMaxImageDimension) + " per side (kMaxImageDimension)");
  }
  if (int64_t{width} * height > limits::kMaxImagePixels) {
    fail(name, std::to_string(width) + "x" + std::to_string(height) + " pixels: more than " +
                   std::to_string(limits::kMaxImagePixels) + " in all (kMaxImagePixels)");
  }
  if (!complete(data, size, width, height)) fail(name, "truncated (the file ends before the picture does)");
  // Grey stays grey; anything with alpha becomes RGBA (composited later).
  const int wanted = components == 1 ? 1 : components == 3 ? 3 : 4;
  int w = 0, h = 0, c = 0;
  stbi_uc* pixels = stbi_load_from_memory(data, length, &w, &h, &c, wanted);
  if (!pixels) fail(name, "cannot decode (" + stb_reason() + "; truncated or corrupt?)");
  if (w != width || h != height) {
    stbi_image_free(pixels);
    fail(name, "the header and the decoded picture disagree on its size");
  }
  DecodedImage image;
  image.width = w;
  image.height = h;
  image.format = wanted == 1 ? PixelFormat::kGray8 : wanted == 3 ? PixelFormat::kRGB888 : PixelFormat::kRGBA8888;
  try {
    image.pixels.assign(pixels, pixels + static_cast<size_t>(w) * h * wanted);
  } catch (...) {
    stbi_image_free(pixels);
    throw;
  }
  stbi_image_free(pixels);
  return image;
}

DecodedImage read_image_file(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  if (st.st_size > limits::kMaxImageFileBytes) {
    fail(path, "larger than " + std::to_string(limits::kMaxImageFileBytes) + " bytes (kMaxImageFileBytes)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) fail(path, "read error (the file changed while reading?)");
  return decode_image(bytes.data(), bytes.size(), path);
}

}  // namespace bnn
