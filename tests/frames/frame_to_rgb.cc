// SPDX-License-Identifier: Apache-2.0
// Test helper: one raw frame on stdin through the engine's frame path (with
// an RGB "model" of the upright region's size, no resize, no normalisation),
// RGB888 on stdout. Used by swscale_check.py to compare with ffmpeg.
//
// usage: frame_to_rgb FORMAT WIDTH HEIGHT bt601|bt709 limited|full
//                     [--pad N] [--roi X,Y,W,H] [--rotate DEG]
// --pad N re-lays the frame with N spare bytes after every row (chroma rows
// too), to exercise strides.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "bnn/image.h"

using namespace bnn;

namespace {

PixelFormat parse_format(const std::string& s) {
  PixelFormat format;
  if (pixel_format_from_name(s, &format)) return format;
  std::fprintf(stderr, "frame_to_rgb: unknown format %s\n", s.c_str());
  std::exit(2);
}

// Copies `rows` rows of `row` bytes from `src` into `dst` at `stride`.
const uint8_t* relay(const uint8_t* src, int rows, size_t row, size_t stride, std::vector<uint8_t>& dst) {
  const size_t at = dst.size();
  dst.resize(at + rows * stride, 0xAB);
  for (int r = 0; r < rows; ++r) std::memcpy(dst.data() + at + r * stride, src + r * row, row);
  return src + rows * row;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: frame_to_rgb FORMAT W H bt601|bt709 limited|full [--pad N] [--roi X,Y,W,H] [--rotate DEG]\n");
    return 2;
  }
  ImageView view;
  view.format = parse_format(argv[1]);
  view.width = std::atoi(argv[2]);
  view.height = std::atoi(argv[3]);
  view.matrix = std::string(argv[4]) == "bt709" ? YuvMatrix::kBT709 : YuvMatrix::kBT601;
  view.range = std::string(argv[5]) == "full" ? YuvRange::kFull : YuvRange::kLimited;
  int pad = 0;
  for (int i = 6; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--pad") pad = std::atoi(argv[i + 1]);
    if (a == "--roi") std::sscanf(argv[i + 1], "%d,%d,%d,%d", &view.roi.x, &view.roi.y, &view.roi.width, &view.roi.height);
    if (a == "--rotate") view.rotation = static_cast<Rotation>(std::atoi(argv[i + 1]));
  }
  const std::vector<uint8_t> tight((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (tight.size() != frame_bytes(view.format, view.width, view.height, 0)) {
    std::fprintf(stderr, "frame_to_rgb: %zu bytes on stdin, the frame has %zu\n", tight.size(),
                 frame_bytes(view.format, view.width, view.height, 0));
    return 1;
  }
  // Re-lay with padded rows: Y (or packed) plane, then chroma planes as separate buffers.
  const int w = view.width, h = view.height, ch = (h + 1) / 2, cw = (w + 1) / 2;
  std::vector<uint8_t> luma, chroma0, chroma1;
  const uint8_t* p = tight.data();
  const size_t row = view.format == PixelFormat::kYUYV ? 4 * static_cast<size_t>(cw) : static_cast<size_t>(w) * bytes_per_pixel(view.format);
  p = relay(p, h, row, row + pad, luma);
  view.data = luma.data();
  view.stride = static_cast<int64_t>(row + pad);
  view.bytes = luma.size();
  if (view.format == PixelFormat::kNV12 || view.format == PixelFormat::kNV21) {
    p = relay(p, ch, 2 * cw, 2 * cw + pad, chroma0);
    view.chroma[0] = chroma0.data();
    view.chroma_stride = 2 * cw + pad;
    view.chroma_bytes[0] = chroma0.size();
  } else if (view.format == PixelFormat::kI420) {
    p = relay(p, ch, cw, cw + pad, chroma0);
    p = relay(p, ch, cw, cw + pad, chroma1);
    view.chroma[0] = chroma0.data();
    view.chroma[1] = chroma1.data();
    view.chroma_stride = cw + pad;
    view.chroma_bytes[0] = chroma0.size();
    view.chroma_bytes[1] = chroma1.size();
  }
  const int rw = view.roi.width ? view.roi.width : w, rh = view.roi.height ? view.roi.height : h;
  const bool turned = view.rotation == Rotation::k90 || view.rotation == Rotation::k270;
  Preprocessing pre;
  pre.color = Preprocessing::Color::kRGB;
  pre.channels = 3;
  pre.width = turned ? rh : rw;
  pre.height = turned ? rw : rh;
  std::vector<float> chw(static_cast<size_t>(3) * pre.width * pre.height);
  try {
    ImagePreprocessor(pre).run(view, chw.data());
  } catch (const Error& e) {
    std::fprintf(stderr, "frame_to_rgb: %s\n", e.what());
    return 1;
  }
  const size_t plane = static_cast<size_t>(pre.width) * pre.height;
  std::vector<uint8_t> rgb(3 * plane);
  for (size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < 3; ++c) rgb[3 * i + c] = static_cast<uint8_t>(std::lround(chw[c * plane + i] * 255.0f));
  }
  std::fwrite(rgb.data(), 1, rgb.size(), stdout);
  return 0;
}
