// The picture -> input path of bnn/image.h.
//
// Resampling is separable: each source row the output needs is filtered
// horizontally into rows_, then each output pixel filters rows_ vertically.
// The filter is a triangle whose half-width is max(1, source pixels per output
// pixel): bilinear when enlarging, an antialiasing average when shrinking (as
// PIL's BILINEAR). Taps outside the picture are left out and the weights
// renormalized, except in FIT mode, where they are the padding colour.
#include <algorithm>
#include <cmath>
#include <string>

#include "bnn/image.h"
#include "model_format/limits.h"

namespace bnn {
namespace {

// Output index -> source window along one axis. Pixel i of the source covers
// [i, i + 1); output pixel o maps to source centre origin + (o + 0.5) * scale - 0.5.
struct Axis {
  double origin = 0;
  double scale = 1;  // source pixels per output pixel
  int source = 0;    // source extent

  double support() const { return std::max(1.0, scale); }
  double centre(int o) const { return origin + (o + 0.5) * scale - 0.5; }
  int first_tap(int o) const { return static_cast<int>(std::ceil(centre(o) - support())); }
  int last_tap(int o) const { return static_cast<int>(std::floor(centre(o) + support())); }

  // Calls f(source index, weight) for every tap of output o with a positive weight.
  template <class F>
  void for_each_tap(int o, F&& f) const {
    const double c = centre(o), s = support();
    for (int i = first_tap(o), last = last_tap(o); i <= last; ++i) {
      const double w = 1.0 - std::abs(i - c) / s;
      if (w > 0) f(i, w);
    }
  }
};

// One source pixel as the model's channels, each in [0, 255].
void read_pixel(const uint8_t* p, PixelFormat format, Preprocessing::Color color, double out[3]) {
  double r, g, b;
  switch (format) {
    case PixelFormat::kGray8:
      r = g = b = p[0];
      break;
    case PixelFormat::kRGB888:
      r = p[0], g = p[1], b = p[2];
      break;
    case PixelFormat::kRGBA8888: {  // composited over white
      const double a = p[3] / 255.0;
      r = 255.0 - (255.0 - p[0]) * a, g = 255.0 - (255.0 - p[1]) * a, b = 255.0 - (255.0 - p[2]) * a;
      break;
    }
    default:
      r = g = b = 0;
  }
  switch (color) {
    case Preprocessing::Color::kGray:
      // A grey source stays exact; colour becomes BT.601 luma (PIL's "L").
      out[0] = format == PixelFormat::kGray8 ? r : 0.299 * r + 0.587 * g + 0.114 * b;
      break;
    case Preprocessing::Color::kRGB:
      out[0] = r, out[1] = g, out[2] = b;
      break;
    case Preprocessing::Color::kBGR:
      out[0] = b, out[1] = g, out[2] = r;
      break;
  }
}

}  // namespace

int bytes_per_pixel(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8: return 1;
    case PixelFormat::kRGB888: return 3;
    case PixelFormat::kRGBA8888: return 4;
  }
  return 0;
}

ImagePreprocessor::ImagePreprocessor(const Preprocessing& preprocessing) : pre_(preprocessing) {
  const int want = pre_.color == Preprocessing::Color::kGray ? 1 : 3;
  if (pre_.channels != want) {
    throw Error("the model's input has " + std::to_string(pre_.channels) + " channels; a " +
                (want == 1 ? std::string("grey") : std::string("colour")) + " picture gives " + std::to_string(want));
  }
  if (pre_.height < 1 || pre_.width < 1) throw Error("the model's input has no picture size");
}

void ImagePreprocessor::run(const ImageView& image, float* input_chw) {
  const int bpp = bytes_per_pixel(image.format);
  if (bpp == 0) throw Error("image: unknown pixel format");
  if (!image.data) throw Error("image: no pixel data (null pointer)");
  if (image.width < 1 || image.height < 1 || image.width > limits::kMaxImageDimension ||
      image.height > limits::kMaxImageDimension) {
    throw Error("image: " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " is outside 1.." + std::to_string(limits::kMaxImageDimension) + " per side (kMaxImageDimension)");
  }
  if (int64_t{image.width} * image.height > limits::kMaxImagePixels) {
    throw Error("image: " + std::to_string(image.width) + "x" + std::to_string(image.height) + " is more than " +
                std::to_string(limits::kMaxImagePixels) + " pixels (kMaxImagePixels)");
  }
  const int64_t row_bytes = int64_t{image.width} * bpp;
  const int64_t stride = image.stride == 0 ? row_bytes : image.stride;
  if (stride < row_bytes) {
    throw Error("image: a row stride of " + std::to_string(stride) + " bytes is shorter than a row (" +
                std::to_string(row_bytes) + " bytes)");
  }
  if (!input_chw) throw Error("image: no output buffer (null pointer)");

  const int channels = pre_.channels, out_h = pre_.height, out_w = pre_.width;
  auto pixel = [&](int x, int y, double out[3]) {
    read_pixel(image.data + y * stride + int64_t{x} * bpp, image.format, pre_.color, out);
  };

  // The border's mean colour: whether the background is light, and FIT's padding.
  double border[3] = {0, 0, 0};
  int64_t border_count = 0;
  auto add_border = [&](int x, int y) {
    double v[3];
    pixel(x, y, v);
    for (int c = 0; c < channels; ++c) border[c] += v[c];
    ++border_count;
  };
  for (int x = 0; x < image.width; ++x) {
    add_border(x, 0);
    if (image.height > 1) add_border(x, image.height - 1);
  }
  for (int y = 1; y + 1 < image.height; ++y) {
    add_border(0, y);
    if (image.width > 1) add_border(image.width - 1, y);
  }
  double border_mean = 0;
  for (int c = 0; c < channels; ++c) {
    border[c] /= static_cast<double>(border_count);
    border_mean += border[c] / channels;
  }
  const bool invert = pre_.invert && border_mean > 127.5;
  last_inverted_ = invert;

  // Where the output window lies in the source.
  Axis ax, ay;
  ax.source = image.width;
  ay.source = image.height;
  const double sx = static_cast<double>(image.width) / out_w, sy = static_cast<double>(image.height) / out_h;
  const bool pad_outside = pre_.resize == Preprocessing::Resize::kFit;
  if (pre_.resize == Preprocessing::Resize::kDirect) {
    ax.scale = sx, ay.scale = sy;
  } else {
    const double k = pre_.resize == Preprocessing::Resize::kFit ? std::max(sx, sy)
                                                                : std::min(sx, sy) * double{pre_.crop_fraction};
    ax.scale = ay.scale = k;
    ax.origin = (image.width - out_w * k) / 2;
    ay.origin = (image.height - out_h * k) / 2;
  }

  // Horizontal pass over the source rows the output needs.
  const int row_first = std::max(0, ay.first_tap(0));
  const int row_last = std::min(image.height - 1, ay.last_tap(out_h - 1));
  const int rows = std::max(0, row_last - row_first + 1);
  const size_t row_floats = static_cast<size_t>(out_w) * channels;
  if (rows_.size() < rows * row_floats) rows_.resize(rows * row_floats);
  for (int y = row_first; y <= row_last; ++y) {
    float* out = rows_.data() + (y - row_first) * row_floats;
    for (int ox = 0; ox < out_w; ++ox) {
      double acc[3] = {0, 0, 0}, weight = 0;
      ax.for_each_tap(ox, [&](int x, double w) {
        double v[3];
        if (x >= 0 && x < image.width) {
          pixel(x, y, v);
        } else if (pad_outside) {
          v[0] = border[0], v[1] = border[1], v[2] = border[2];
        } else {
          return;
        }
        for (int c = 0; c < channels; ++c) acc[c] += w * v[c];
        weight += w;
      });
      for (int c = 0; c < channels; ++c) out[ox * channels + c] = static_cast<float>(weight > 0 ? acc[c] / weight : border[c]);
    }
  }

  // Vertical pass, inversion and normalization, into CHW.
  const size_t plane = static_cast<size_t>(out_h) * out_w;
  for (int oy = 0; oy < out_h; ++oy) {
    for (int ox = 0; ox < out_w; ++ox) {
      double acc[3] = {0, 0, 0}, weight = 0;
      ay.for_each_tap(oy, [&](int y, double w) {
        if (y >= row_first && y <= row_last) {
          const float* v = rows_.data() + (y - row_first) * row_floats + ox * channels;
          for (int c = 0; c < channels; ++c) acc[c] += w * v[c];
        } else if (pad_outside) {
          for (int c = 0; c < channels; ++c) acc[c] += w * border[c];
        } else {
          return;
        }
        weight += w;
      });
      for (int c = 0; c < channels; ++c) {
        float v = static_cast<float>(weight > 0 ? acc[c] / weight : border[c]);
        if (invert) v = 255.0f - v;
        // torchvision's ToTensor then Normalize, operation for operation.
        float x = v / 255.0f;
        if (!pre_.mean.empty()) x = x - pre_.mean[c];
        if (!pre_.std.empty()) x = x / pre_.std[c];
        input_chw[c * plane + static_cast<size_t>(oy) * out_w + ox] = x;
      }
    }
  }
}

}  // namespace bnn
