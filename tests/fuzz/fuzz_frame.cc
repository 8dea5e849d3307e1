// SPDX-License-Identifier: Apache-2.0
// libFuzzer: frame descriptors and conversion. The first 32 bytes describe a
// frame (format, size, strides, region, rotation, colorimetry, one buffer or
// separate planes, any of them possibly wrong); the rest are its pixels,
// with their true sizes declared, as a caller of the C API must. The frame
// goes through bnn_frame_from_buffer / the C API's checks and a grey and a
// colour preprocessing: each must refuse it with an error or give finite
// values, and never read outside the bytes.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bnn/bnn.h"
#include "bnn/image.h"
#include "engine/c_api/c_frame.h"

namespace {

bnn::Preprocessing config(bool grey) {
  bnn::Preprocessing p;
  p.color = grey ? bnn::Preprocessing::Color::kGray : bnn::Preprocessing::Color::kBGR;
  p.channels = grey ? 1 : 3;
  p.height = grey ? 28 : 9;
  p.width = grey ? 28 : 13;
  p.resize = grey ? bnn::Preprocessing::Resize::kFit : bnn::Preprocessing::Resize::kShortSideCrop;
  p.crop_fraction = 0.875f;
  p.invert = grey;
  return p;
}

struct Reader {
  const uint8_t* p;
  int32_t i32() {
    int32_t v;
    std::memcpy(&v, p, 4);
    p += 4;
    return v;
  }
  uint8_t u8() { return *p++; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bnn::ImagePreprocessor grey(config(true)), colour(config(false));
  if (size < 32) return 0;
  Reader r{data};
  bnn_frame f;
  std::memset(&f, 0, sizeof f);
  // Enum fields: mostly valid values, sometimes any 32-bit value a C caller could store.
  const uint8_t pick = r.u8();
  f.format = static_cast<bnn_pixel_format>(pick < 240 ? pick % 14 : static_cast<int32_t>(0x80000000u | pick << 20));
  const uint8_t flags = r.u8();
  f.rotation = (r.u8() % 5) * 90 + (flags & 0x80 ? 1 : 0);  // 0..360, sometimes off by one
  const uint8_t m = r.u8();
  f.matrix = static_cast<bnn_yuv_matrix>(m < 250 ? m % 3 : -static_cast<int32_t>(m));
  f.range = static_cast<bnn_yuv_range>(flags & 0x40 ? (flags & 0x20 ? -1 : 2) : (flags & 1));
  f.width = r.i32() % 2048;
  f.height = r.i32() % 2048;
  f.strides[0] = r.i32() % 8192;
  f.strides[1] = flags & 2 ? r.i32() % 4096 : (r.i32(), 0);
  if (flags & 4) {
    f.roi_x = r.i32() % 2048, f.roi_y = r.i32() % 2048;
    const uint8_t w0 = r.u8(), w1 = r.u8(), h0 = r.u8(), h1 = r.u8();
    f.roi_width = static_cast<int16_t>(w0 | w1 << 8), f.roi_height = static_cast<int16_t>(h0 | h1 << 8);
  }
  const size_t header = 32;
  // The pixels: in one buffer, or split into up to three planes at fuzzed points.
  std::vector<uint8_t> pixels(data + header, data + size);
  const size_t n = pixels.size();
  if (flags & 8) {
    const size_t a = n / 3, b = 2 * n / 3;
    f.planes[0] = pixels.data();
    f.plane_bytes[0] = a;
    f.planes[1] = pixels.data() + a;
    f.plane_bytes[1] = b - a;
    f.planes[2] = flags & 16 ? pixels.data() + b : nullptr;
    f.plane_bytes[2] = flags & 16 ? n - b : 0;
  } else {
    f.planes[0] = n ? pixels.data() : nullptr;
    f.plane_bytes[0] = n;
  }
  if (f.plane_bytes[0] == 0 && f.planes[0]) f.planes[0] = nullptr;  // 0 bytes means "unchecked": never claim that

  // The C API's own checks.
  bnn_frame copy;
  (void)bnn_frame_from_buffer(&copy, f.format, f.width, f.height, f.strides[0], f.planes[0], f.plane_bytes[0]);

  // Through the C API's own mapping, then both preprocessings.
  if ((f.planes[1] && f.plane_bytes[1] == 0) || (f.planes[2] && f.plane_bytes[2] == 0)) return 0;
  bnn::ImageView v;
  try {
    v = bnn::view_of_frame(f);
  } catch (const bnn::Error&) {
    return 0;
  }
  std::vector<float> out(3 * 28 * 28);
  for (bnn::ImagePreprocessor* pre : {&grey, &colour}) {
    try {
      pre->run(v, out.data());
    } catch (const bnn::Error&) {
      return 0;
    }
    for (float x : out) {
      if (!std::isfinite(x)) __builtin_trap();
    }
  }
  return 0;
}
