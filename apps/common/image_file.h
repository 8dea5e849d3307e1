// SPDX-License-Identifier: Apache-2.0
// Picture files (JPEG, PNG, BMP, PGM/PPM) decoded with stb_image, compiled
// into image_file.cc alone with only these formats enabled. Debian's prebuilt
// libstb.so is never linked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bnn/image.h"

namespace bnn {

struct StbFree {
  void operator()(uint8_t* pixels) const;
};

struct DecodedImage {
  std::unique_ptr<uint8_t[], StbFree> pixels;  // stb's own buffer: rows packed, 8 bits per channel
  size_t bytes = 0;
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kGray8;  // grey, RGB, or RGBA (grey + alpha becomes RGBA)

  ImageView view() const { return {pixels.get(), width, height, 0, format}; }
};

// Decodes a picture held in memory; `name` prefixes every error. Before any
// pixel memory exists: the size the header claims is checked against
// limits::kMaxImageDimension and kMaxImagePixels, and the container is checked
// for completeness (stb_image 2.27 would pad a truncated JPEG, PNM or BMP with
// zeros, and checks no PNG CRC). While decoding, no single allocation may
// exceed 8 bytes per claimed pixel plus 1 MiB, which stops compressed data
// that inflates past its header (a PNG "bomb"). 16-bit PNGs are scaled to 8
// bits. A JPEG's EXIF orientation is applied: the pixels come out upright, as
// a viewer shows them. Throws std::runtime_error saying what is wrong.
DecodedImage decode_image(const uint8_t* data, size_t size, const std::string& name);

// Reads a regular file of at most limits::kMaxImageFileBytes and decodes it.
DecodedImage read_image_file(const std::string& path);

// Whether a file name has a picture's extension (.jpg .jpeg .png .bmp .pgm
// .ppm .pnm, any case).
bool is_picture_name(const std::string& path);
// The pictures in a directory (regular files, not hidden), sorted; empty when
// it has none or cannot be listed.
std::vector<std::string> pictures_in_directory(const std::string& directory);

}  // namespace bnn
