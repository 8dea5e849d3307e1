// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes as a picture file, then the bundled model's
// preprocessing (grey 28x28, fit, inversion) and an ImageNet-style one (RGB
// 32x32, short-side crop). Decoding must refuse with std::runtime_error or
// give pixels matching its size; preprocessing must give finite values.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "apps/common/image_file.h"
#include "bnn/image.h"

namespace {

bnn::Preprocessing config(bool grey) {
  bnn::Preprocessing p;
  p.color = grey ? bnn::Preprocessing::Color::kGray : bnn::Preprocessing::Color::kRGB;
  p.channels = grey ? 1 : 3;
  p.height = p.width = grey ? 28 : 32;
  p.resize = grey ? bnn::Preprocessing::Resize::kFit : bnn::Preprocessing::Resize::kShortSideCrop;
  p.crop_fraction = 0.875f;
  p.invert = grey;
  p.mean.assign(p.channels, 0.5f);
  p.stddev.assign(p.channels, 0.25f);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bnn::ImagePreprocessor grey(config(true)), colour(config(false));
  bnn::DecodedImage image;
  try {
    image = bnn::decode_image(data, size, "fuzz");
  } catch (const std::runtime_error&) {
    return 0;
  }
  if (!image.pixels || image.bytes != static_cast<size_t>(image.width) * image.height * bnn::bytes_per_pixel(image.format)) {
    __builtin_trap();
  }
  std::vector<float> out(3 * 32 * 32);
  for (bnn::ImagePreprocessor* pre : {&grey, &colour}) {
    pre->run(image.view(), out.data());
    for (float v : out) {
      if (!std::isfinite(v)) __builtin_trap();
    }
  }
  return 0;
}
