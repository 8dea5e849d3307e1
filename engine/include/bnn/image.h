// Pictures to model input: the one preprocessing path. bnn-classify feeds
// decoded files through it; camera frames go the same way.
//
//   bnn::ImagePreprocessor pre(model->preprocessing());
//   pre.run(bnn::ImageView{pixels, width, height, stride, bnn::PixelFormat::kRGB888}, input_chw);
//   session.run(input_chw, logits);
//
// One pass per axis (separable), in this order: colour conversion (RGBA is
// composited over white; grey is BT.601 luma 0.299 R + 0.587 G + 0.114 B),
// the model's resize with an antialiased bilinear (triangle) filter whose
// support widens with the scale, inversion of light-background pictures when
// the model asks for it, then (x / 255 - mean[c]) / std[c] in float32, the
// same operations in the same order as torchvision's ToTensor + Normalize. A
// picture already at the input size passes through exactly.
#pragma once

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

// Applies one model's Preprocessing. Reusable: scratch memory grows to the
// largest picture seen and is kept, so pictures of one size allocate nothing
// after the first. One thread at a time.
class ImagePreprocessor {
 public:
  // Throws bnn::Error when the model's input is not a picture (channels other
  // than 1 for grey or 3 for RGB/BGR).
  explicit ImagePreprocessor(const Preprocessing& preprocessing);

  // Writes channels x height x width floats (the model's input, CHW) to
  // `input_chw`. Throws bnn::Error for an invalid view (null data, sizes out
  // of range, a stride shorter than a row), naming what is wrong.
  void run(const ImageView& image, float* input_chw);

  // Whether the last picture was inverted (its border was lighter than mid-grey).
  bool last_inverted() const { return last_inverted_; }

 private:
  Preprocessing pre_;
  std::vector<float> rows_;  // the horizontally resampled rows, [source row][output column][channel]
  bool last_inverted_ = false;
};

}  // namespace bnn
