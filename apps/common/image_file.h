// Picture files (JPEG, PNG, BMP, PGM/PPM) decoded with stb_image, compiled
// into image_file.cc alone with only these formats enabled. Debian's prebuilt
// libstb.so is never linked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bnn/image.h"

namespace bnn {

struct DecodedImage {
  std::vector<uint8_t> pixels;  // rows packed, 8 bits per channel (16-bit PNGs are scaled down)
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kGray8;  // grey, RGB, or RGBA (grey + alpha becomes RGBA)

  ImageView view() const { return {pixels.data(), width, height, 0, format}; }
};

// Decodes a picture held in memory. The header is read first (stbi_info) and
// its size checked against limits::kMaxImageDimension and kMaxImagePixels
// before any pixel memory is allocated. Throws std::runtime_error saying what
// is wrong ("not a JPEG, PNG, BMP or PGM/PPM picture", "truncated", a limit...),
// prefixed with `name`.
DecodedImage decode_image(const uint8_t* data, size_t size, const std::string& name);

// Reads a file (at most limits::kMaxImageFileBytes) and decodes it.
DecodedImage read_image_file(const std::string& path);

}  // namespace bnn
