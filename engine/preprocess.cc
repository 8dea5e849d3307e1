// The picture -> input path of bnn/image.h.
//
// Resampling is separable. Per axis, a tap table gives each output index its
// source range (clipped to the picture) and normalized weights, plus one
// weight for the padding in FIT mode; building it costs O(output + taps), so
// a huge padded region costs nothing per pixel. Each output row is then
// filtered vertically into one row of scratch (the source columns it needs),
// and that row horizontally into the output. The filter is a triangle whose
// half-width is max(1, source pixels per output pixel): bilinear when
// enlarging, an antialiasing average when shrinking (PIL's BILINEAR, but in
// float without PIL's rounding to 8 bits after each pass; docs/numerics.md).
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
};

// Sum of the triangle weights 1 - |i - c| / s over integers i in [a, b]
// (all of them inside the support), in closed form.
double triangle_sum(double c, double s, int64_t a, int64_t b) {
  if (a > b) return 0;
  const int64_t split = std::clamp<int64_t>(static_cast<int64_t>(std::floor(c)), a - 1, b);
  const double n_left = static_cast<double>(split - a + 1), n_right = static_cast<double>(b - split);
  const double sum_left = (static_cast<double>(a) + static_cast<double>(split)) * n_left / 2;
  const double sum_right = (static_cast<double>(split + 1) + static_cast<double>(b)) * n_right / 2;
  return n_left - (n_left * c - sum_left) / s + n_right - (sum_right - n_right * c) / s;
}

// Fills `taps` (one per output index) and `weights` for one axis.
void build_taps(const Axis& axis, int outputs, bool pad_outside, std::vector<ImagePreprocessor::Taps>& taps,
                std::vector<float>& weights) {
  taps.resize(static_cast<size_t>(outputs));
  weights.clear();
  const double support = std::max(1.0, axis.scale);
  for (int o = 0; o < outputs; ++o) {
    const double c = axis.origin + (o + 0.5) * axis.scale - 0.5;
    // Integer taps strictly inside the support (a tap on its edge weighs 0).
    const int64_t lo = static_cast<int64_t>(std::floor(c - support)) + 1;
    const int64_t hi = static_cast<int64_t>(std::ceil(c + support)) - 1;
    const int64_t in_lo = std::max<int64_t>(lo, 0), in_hi = std::min<int64_t>(hi, axis.source - 1);
    ImagePreprocessor::Taps& t = taps[static_cast<size_t>(o)];
    t.offset = weights.size();
    double inside = 0;
    for (int64_t i = in_lo; i <= in_hi; ++i) inside += 1.0 - std::abs(static_cast<double>(i) - c) / support;
    const double total = pad_outside ? triangle_sum(c, support, lo, hi) : inside;
    if (in_lo > in_hi || !(inside > 0)) {
      // No source pixel under the window: padding (FIT), or the nearest pixel.
      t.first = static_cast<int>(std::clamp<int64_t>(std::llround(c), 0, axis.source - 1));
      t.count = pad_outside ? 0 : 1;
      t.pad = pad_outside ? 1.0f : 0.0f;
      if (!pad_outside) weights.push_back(1.0f);
      continue;
    }
    t.first = static_cast<int>(in_lo);
    t.count = static_cast<int>(in_hi - in_lo + 1);
    for (int64_t i = in_lo; i <= in_hi; ++i) {
      weights.push_back(static_cast<float>((1.0 - std::abs(static_cast<double>(i) - c) / support) / total));
    }
    t.pad = pad_outside ? static_cast<float>(std::max(0.0, (total - inside) / total)) : 0.0f;
  }
}

// One source pixel as the model's channels, each in [0, 255].
void read_pixel(const uint8_t* p, PixelFormat format, Preprocessing::Color color, float out[3]) {
  float r, g, b;
  switch (format) {
    case PixelFormat::kGray8:
      r = g = b = p[0];
      break;
    case PixelFormat::kRGB888:
      r = p[0], g = p[1], b = p[2];
      break;
    case PixelFormat::kRGBA8888: {  // composited over white
      const float a = p[3] / 255.0f;
      r = 255.0f - (255.0f - p[0]) * a, g = 255.0f - (255.0f - p[1]) * a, b = 255.0f - (255.0f - p[2]) * a;
      break;
    }
    default:
      r = g = b = 0;
  }
  switch (color) {
    case Preprocessing::Color::kGray:
      // A grey source stays exact; colour becomes BT.601 luma (PIL's "L", unrounded).
      out[0] = format == PixelFormat::kGray8 ? r : 0.299f * r + 0.587f * g + 0.114f * b;
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
  if (pre_.height < 1 || pre_.width < 1 || pre_.height > limits::kMaxImageDimension ||
      pre_.width > limits::kMaxImageDimension) {
    throw Error("the model's input is " + std::to_string(pre_.height) + "x" + std::to_string(pre_.width) +
                ": a picture input needs 1.." + std::to_string(limits::kMaxImageDimension) + " per side");
  }
  for (const std::vector<float>* v : {&pre_.mean, &pre_.stddev}) {
    if (!v->empty() && static_cast<int>(v->size()) != pre_.channels) {
      throw Error("preprocessing: mean and stddev need one value per input channel (" +
                  std::to_string(pre_.channels) + ")");
    }
  }
  if (!(pre_.crop_fraction > 0 && pre_.crop_fraction <= 1)) throw Error("preprocessing: crop_fraction must be in (0, 1]");
  if (pre_.resize != Preprocessing::Resize::kDirect && pre_.resize != Preprocessing::Resize::kShortSideCrop &&
      pre_.resize != Preprocessing::Resize::kFit) {
    throw Error("preprocessing: unknown resize mode");
  }
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
  auto pixel = [&](int x, int y, float out[3]) {
    read_pixel(image.data + y * stride + int64_t{x} * bpp, image.format, pre_.color, out);
  };

  // The border's mean colour: whether the background is light, and FIT's padding.
  double sum[3] = {0, 0, 0};
  int64_t border_count = 0;
  auto add_border = [&](int x, int y) {
    float v[3];
    pixel(x, y, v);
    for (int c = 0; c < channels; ++c) sum[c] += v[c];
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
  float border[3] = {0, 0, 0};
  double border_mean = 0;
  for (int c = 0; c < channels; ++c) {
    border[c] = static_cast<float>(sum[c] / static_cast<double>(border_count));
    border_mean += sum[c] / static_cast<double>(border_count) / channels;
  }
  const bool invert = pre_.invert && border_mean > 127.5;
  last_inverted_ = invert;

  // Where the output window lies in the source.
  Axis ax, ay;
  ax.source = image.width;
  ay.source = image.height;
  const double sx = static_cast<double>(image.width) / out_w, sy = static_cast<double>(image.height) / out_h;
  if (pre_.resize == Preprocessing::Resize::kDirect) {
    ax.scale = sx, ay.scale = sy;
  } else {
    const double k = pre_.resize == Preprocessing::Resize::kFit ? std::max(sx, sy)
                                                                : std::min(sx, sy) * double{pre_.crop_fraction};
    ax.scale = ay.scale = k;
    ax.origin = (image.width - out_w * k) / 2;
    ay.origin = (image.height - out_h * k) / 2;
  }
  const bool pad_outside = pre_.resize == Preprocessing::Resize::kFit;
  build_taps(ax, out_w, pad_outside, x_taps_, x_weights_);
  build_taps(ay, out_h, pad_outside, y_taps_, y_weights_);

  // The source columns any output column reads.
  int x_lo = image.width, x_hi = -1;
  for (const Taps& t : x_taps_) {
    if (t.count == 0) continue;
    x_lo = std::min(x_lo, t.first);
    x_hi = std::max(x_hi, t.first + t.count - 1);
  }
  const size_t columns = x_hi >= x_lo ? static_cast<size_t>(x_hi - x_lo + 1) : 0;
  if (row_.size() < columns * channels) row_.resize(columns * channels);

  const size_t plane = static_cast<size_t>(out_h) * out_w;
  for (int oy = 0; oy < out_h; ++oy) {
    // Vertical: the output row's source rows, into one row of the columns needed.
    const Taps& ty = y_taps_[static_cast<size_t>(oy)];
    const float* wy = y_weights_.data() + ty.offset;
    for (size_t x = 0; x < columns; ++x) {
      float acc[3] = {0, 0, 0};
      for (int k = 0; k < ty.count; ++k) {
        float v[3];
        pixel(x_lo + static_cast<int>(x), ty.first + k, v);
        for (int c = 0; c < channels; ++c) acc[c] += wy[k] * v[c];
      }
      for (int c = 0; c < channels; ++c) row_[x * channels + c] = acc[c] + ty.pad * border[c];
    }
    // Horizontal, then inversion and normalization, into CHW.
    for (int ox = 0; ox < out_w; ++ox) {
      const Taps& tx = x_taps_[static_cast<size_t>(ox)];
      const float* wx = x_weights_.data() + tx.offset;
      float acc[3] = {0, 0, 0};
      for (int k = 0; k < tx.count; ++k) {
        const float* v = row_.data() + static_cast<size_t>(tx.first - x_lo + k) * channels;
        for (int c = 0; c < channels; ++c) acc[c] += wx[k] * v[c];
      }
      for (int c = 0; c < channels; ++c) {
        float v = acc[c] + tx.pad * border[c];
        if (invert) v = 255.0f - v;
        // torchvision's ToTensor then Normalize, operation for operation.
        float x = v / 255.0f;
        if (!pre_.mean.empty()) x = x - pre_.mean[c];
        if (!pre_.stddev.empty()) x = x / pre_.stddev[c];
        input_chw[c * plane + static_cast<size_t>(oy) * out_w + ox] = x;
      }
    }
  }
}

}  // namespace bnn
