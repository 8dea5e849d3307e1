// SPDX-License-Identifier: Apache-2.0
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
#include "engine/imaging/frame.h"
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

}  // namespace

ImagePreprocessor::ImagePreprocessor(const Preprocessing& preprocessing) : pre_(preprocessing) {
  const int want = pre_.color == Preprocessing::Color::kGray ? 1 : 3;
  if (pre_.channels != want) {
    const std::string fix = pre_.channels == 1 || pre_.channels == 3
                                ? std::string(" (--color ") + (pre_.channels == 1 ? "grey" : "rgb or bgr") +
                                      " fixes it: bnn-classify --color, or bnn-convert --color when converting)"
                                : " (pictures have 1 or 3 channels: this model takes other input; use bnn-run with .npy input)";
    throw Error("the model's input has " + std::to_string(pre_.channels) + " channels; a " +
                (want == 1 ? std::string("grey") : std::string("colour")) + " picture gives " + std::to_string(want) + fix);
  }
  if (pre_.height < 1 || pre_.width < 1 || pre_.height > limits::kMaxImageDimension ||
      pre_.width > limits::kMaxImageDimension) {
    throw Error("the model's input is " + std::to_string(pre_.height) + "x" + std::to_string(pre_.width) +
                ": a picture input needs 1.." + std::to_string(limits::kMaxImageDimension) + " per side");
  }
  for (const std::vector<float>* v : {&pre_.mean, &pre_.stddev}) {
    if (!v->empty() && static_cast<int>(v->size()) != pre_.channels) {
      throw Error("preprocessing: --mean and --std need one value per input channel (" +
                  std::to_string(pre_.channels) + ")");
    }
  }
  if (!(pre_.crop_fraction > 0 && pre_.crop_fraction <= 1)) throw Error("preprocessing: crop_fraction must be in (0, 1]");
  if (pre_.resize != Preprocessing::Resize::kDirect && pre_.resize != Preprocessing::Resize::kShortSideCrop &&
      pre_.resize != Preprocessing::Resize::kFit) {
    throw Error("preprocessing: unknown resize mode");
  }
}

void ImagePreprocessor::check(const ImageView& image) { FrameReader(image, Preprocessing::Color::kRGB); }

void ImagePreprocessor::run(const ImageView& image, float* input_chw) {
  const FrameReader frame(image, pre_.color);
  if (!input_chw) throw Error("image: no output buffer (null pointer)");
  const int width = frame.width(), height = frame.height();
  const int channels = pre_.channels, out_h = pre_.height, out_w = pre_.width;

  // The border's mean colour: whether the background is light, and FIT's padding.
  const size_t edge_size = static_cast<size_t>(std::max(width, height)) * channels;
  if (edge_.size() < edge_size) edge_.resize(edge_size);
  double sum[3] = {0, 0, 0};
  int64_t border_count = 0;
  auto add_edge = [&](int count) {
    for (int i = 0; i < count; ++i) {
      for (int c = 0; c < channels; ++c) sum[c] += edge_[static_cast<size_t>(i) * channels + c];
    }
    border_count += count;
  };
  frame.row(0, 0, width, edge_.data());
  add_edge(width);
  if (height > 1) {
    frame.row(height - 1, 0, width, edge_.data());
    add_edge(width);
  }
  if (height > 2) {
    frame.column(0, 1, height - 2, edge_.data());
    add_edge(height - 2);
    if (width > 1) {
      frame.column(width - 1, 1, height - 2, edge_.data());
      add_edge(height - 2);
    }
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
  ax.source = width;
  ay.source = height;
  const double sx = static_cast<double>(width) / out_w, sy = static_cast<double>(height) / out_h;
  if (pre_.resize == Preprocessing::Resize::kDirect) {
    ax.scale = sx, ay.scale = sy;
  } else {
    const double k = pre_.resize == Preprocessing::Resize::kFit ? std::max(sx, sy)
                                                                : std::min(sx, sy) * double{pre_.crop_fraction};
    ax.scale = ay.scale = k;
    ax.origin = (width - out_w * k) / 2;
    ay.origin = (height - out_h * k) / 2;
  }
  const bool pad_outside = pre_.resize == Preprocessing::Resize::kFit;
  build_taps(ax, out_w, pad_outside, x_taps_, x_weights_);
  build_taps(ay, out_h, pad_outside, y_taps_, y_weights_);

  // The source columns any output column reads, and the most rows any output row reads.
  int x_lo = width, x_hi = -1;
  for (const Taps& t : x_taps_) {
    if (t.count == 0) continue;
    x_lo = std::min(x_lo, t.first);
    x_hi = std::max(x_hi, t.first + t.count - 1);
  }
  const int columns = x_hi >= x_lo ? x_hi - x_lo + 1 : 0;
  int ring = 1;
  for (const Taps& t : y_taps_) ring = std::max(ring, t.count);
  const size_t row_floats = static_cast<size_t>(columns) * channels;
  if (row_.size() < row_floats) row_.resize(row_floats);
  if (rows_.size() < row_floats * ring) rows_.resize(row_floats * ring);
  if (ring_rows_.size() < static_cast<size_t>(ring)) ring_rows_.resize(static_cast<size_t>(ring));
  std::fill(ring_rows_.begin(), ring_rows_.begin() + ring, -1);

  const size_t plane = static_cast<size_t>(out_h) * out_w;
  for (int oy = 0; oy < out_h; ++oy) {
    // Vertical: the output row's source rows (each converted once per frame,
    // as the windows only move down), into one row of the columns needed.
    const Taps& ty = y_taps_[static_cast<size_t>(oy)];
    const float* wy = y_weights_.data() + ty.offset;
    std::fill(row_.begin(), row_.begin() + static_cast<std::ptrdiff_t>(row_floats), 0.0f);
    for (int k = 0; k < ty.count && columns > 0; ++k) {
      const int source_row = ty.first + k;
      const size_t slot = static_cast<size_t>(source_row % ring);
      float* converted = rows_.data() + slot * row_floats;
      if (ring_rows_[slot] != source_row) {
        frame.row(source_row, x_lo, columns, converted);
        ring_rows_[slot] = source_row;
      }
      for (size_t i = 0; i < row_floats; ++i) row_[i] += wy[k] * converted[i];
    }
    if (ty.pad != 0) {
      for (size_t i = 0; i < row_floats; ++i) row_[i] += ty.pad * border[i % channels];
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
