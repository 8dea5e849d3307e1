// Pictures to model input: the one preprocessing path. bnn-classify feeds
// decoded files through it; camera frames go the same way.
//
//   bnn::ImagePreprocessor pre(model->preprocessing());
//   pre.run(bnn::ImageView{pixels, width, height, stride, bnn::PixelFormat::kRGB888}, input_chw);
//   session.run(input_chw, logits);
//
// In this order: colour conversion (RGBA is composited over white; grey is
// BT.601 luma 0.299 R + 0.587 G + 0.114 B), the model's resize with an
// antialiased bilinear (triangle) filter whose support widens with the scale,
// one pass per axis, inversion of light-background pictures when the model
// asks for it, then (x / 255 - mean[c]) / stddev[c] in float32, the same
// operations in the same order as torchvision's ToTensor + Normalize. A grey
// picture already at the input size gives exactly torchvision's input; a
// resized one approximates PIL's BILINEAR resize (no rounding to 8 bits
// between passes; docs/numerics.md says how close).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bnn/engine.h"

namespace bnn {

enum class PixelFormat {
  kGray8,     // 1 byte per pixel
  kRGB888,    // R, G, B
  kRGBA8888,  // R, G, B, A (straight alpha)
};

// A caller's pixels; nothing is copied or kept.
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int64_t stride = 0;  // bytes from one row to the next; 0 = width * bytes per pixel
  PixelFormat format = PixelFormat::kRGB888;
};

int bytes_per_pixel(PixelFormat format);

// Applies one model's Preprocessing. Reusable: its scratch (one row of the
// source columns the output reads, and the filter's tap tables) grows to the
// largest picture seen and is kept, so pictures of one size allocate nothing
// after the first. One thread at a time.
class ImagePreprocessor {
 public:
  // Throws bnn::Error when the model's input is not a picture (channels other
  // than 1 for grey or 3 for RGB/BGR, a side above limits::kMaxImageDimension)
  // or the preprocessing is inconsistent (mean/stddev sizes, crop fraction).
  explicit ImagePreprocessor(const Preprocessing& preprocessing);

  // Writes channels x height x width floats (the model's input, CHW) to
  // `input_chw`. Throws bnn::Error for an invalid view (null data, sizes out
  // of range, a stride shorter than a row), naming what is wrong.
  void run(const ImageView& image, float* input_chw);

  // Whether the last picture was inverted (its border was lighter than mid-grey).
  bool last_inverted() const { return last_inverted_; }

  // One output index's filter taps along one axis: weights[offset, offset +
  // count) for source indices first, first + 1, ..., plus the padding's weight.
  struct Taps {
    int first = 0;
    int count = 0;
    size_t offset = 0;
    float pad = 0;
  };

 private:
  Preprocessing pre_;
  std::vector<Taps> x_taps_, y_taps_;
  std::vector<float> x_weights_, y_weights_;
  std::vector<float> row_;  // one output row filtered vertically: [source column][channel]
  bool last_inverted_ = false;
};

}  // namespace bnn
