// SPDX-License-Identifier: Apache-2.0
// Pictures and camera frames to model input: the one preprocessing path.
// bnn-classify feeds decoded files through it; camera frames (YUV or RGB, with
// a stride, a region of interest and a rotation) go the same way, in one pass
// that writes the engine's input directly.
//
//   bnn::ImagePreprocessor pre(model->preprocessing());
//   pre.run(bnn::ImageView{pixels, width, height, stride, bnn::PixelFormat::kRGB888}, input_chw);
//   session.run(input_chw, logits);
//
// In this order: region of interest, rotation, colour conversion (YUV to RGB
// with the frame's matrix and range; RGBA is composited over white; grey is
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
#include <string>
#include <vector>

#include "bnn/engine.h"

namespace bnn {

// Formats are named by their bytes in memory, first byte first.
enum class PixelFormat {
  kGray8,     // Y (1 byte per pixel)
  kRGB888,    // R, G, B
  kRGBA8888,  // R, G, B, A (straight alpha, composited over white)
  kBGR888,    // B, G, R
  kBGRA8888,  // B, G, R, A (straight alpha, composited over white)
  kBGRX8888,  // B, G, R, unused: libcamera's and DRM's XRGB8888, GStreamer's BGRx
  kRGBX8888,  // R, G, B, unused: DRM's XBGR8888, GStreamer's RGBx
  kXRGB8888,  // unused, R, G, B: GStreamer's xRGB
  kNV12,      // Y plane, then one plane of interleaved U, V at half width and height
  kNV21,      // Y plane, then one plane of interleaved V, U at half width and height
  kI420,      // Y plane, U plane, V plane; chroma at half width and height (YUV420)
  kYUYV,      // Y0, U, Y1, V per two pixels (4:2:2, packed; YUY2)
};

// How YUV codes become RGB (ignored for RGB and grey formats).
enum class YuvMatrix { kBT601, kBT709 };
enum class YuvRange {
  kLimited,  // Y in 16..235, U and V in 16..240 (video, most cameras' video streams)
  kFull,     // all in 0..255 (JPEG, "sYCC")
};

// Clockwise rotation that makes the frame upright (a camera mounted sideways).
enum class Rotation { k0 = 0, k90 = 90, k180 = 180, k270 = 270 };

// A region of a frame, in the frame's own (unrotated) pixels.
struct Region {
  int x = 0, y = 0;
  int width = 0, height = 0;  // 0 x 0: the whole frame
};

// A caller's pixels; nothing is copied or kept.
struct ImageView {
  ImageView() = default;
  // A packed picture (or a YUV frame whose planes follow each other).
  ImageView(const uint8_t* data, int width, int height, int64_t stride, PixelFormat format)
      : data(data), width(width), height(height), stride(stride), format(format) {}

  const uint8_t* data = nullptr;  // the pixels, or the Y plane of NV12/NV21/I420
  int width = 0;
  int height = 0;
  int64_t stride = 0;  // bytes from one row to the next; 0 = width * bytes per pixel (1 for Y)
  PixelFormat format = PixelFormat::kRGB888;

  // Bytes readable from `data`, checked against what the format, size and
  // strides need; when the chroma planes follow in the same buffer it covers
  // them too. 0: not checked (the caller vouches for the buffer).
  size_t bytes = 0;
  // NV12/NV21: chroma[0] is the interleaved chroma plane; I420: chroma[0] is
  // U and chroma[1] V. Null: the planes follow the Y plane in the same buffer
  // (Y: stride x height; I420's U then V: chroma_stride x ceil(height / 2) each).
  const uint8_t* chroma[2] = {nullptr, nullptr};
  int64_t chroma_stride = 0;  // 0: the Y stride (I420: half of it), at least one chroma row
  size_t chroma_bytes[2] = {0, 0};  // as `bytes`, for separate chroma planes

  Region roi;                      // the part to classify; default the whole frame
  Rotation rotation = Rotation::k0;
  YuvMatrix matrix = YuvMatrix::kBT601;
  YuvRange range = YuvRange::kLimited;
};

// Bytes per pixel of a packed format; 1 for the Y plane of planar YUV, 2 for YUYV.
int bytes_per_pixel(PixelFormat format);
bool is_yuv(PixelFormat format);
// "NV12", "RGB888", ...; nullptr for a value outside the enum.
const char* pixel_format_name(PixelFormat format);
// The format called `name`, in any letter case: as pixel_format_name spells it,
// or GStreamer's (RGB, BGRx, YUY2, ...) or ffmpeg's (rgb24, bgr0, yuv420p,
// yuyv422, ...) name for it; false if none is.
bool pixel_format_from_name(const std::string& name, PixelFormat* format);

// Describes a frame held in one buffer in the usual layout (planes one after
// the other; see ImageView::chroma) and checks that `bytes` holds it. Throws
// bnn::Error naming the shortfall. `stride` 0: tightly packed rows.
ImageView frame_in_buffer(PixelFormat format, int width, int height, int64_t stride, const void* data, size_t bytes);
// The bytes such a frame needs; 0 for invalid sizes, and past 1 GiB
// (limits::kMaxFrameBytes: a buffer a tool would allocate). The last row of
// the last plane is unpadded, unless `padded_last_row` (frames that follow
// each other in a stream, every row `stride` bytes).
size_t frame_bytes(PixelFormat format, int width, int height, int64_t stride, bool padded_last_row = false);
// Why frame_bytes() gives 0 for these arguments ("" when it does not): the
// field at fault and its limit, for the tools' error messages.
std::string frame_problem(PixelFormat format, int width, int height, int64_t stride, bool padded_last_row = false);

// Applies one model's Preprocessing. Reusable: its scratch (a few rows of the
// source columns the output reads, and the filter's tap tables) grows to the
// largest frame seen and is kept, so frames of one size allocate nothing
// after the first. One thread at a time.
class ImagePreprocessor {
 public:
  // Throws bnn::Error when the model's input is not a picture (channels other
  // than 1 for grey or 3 for RGB/BGR, a side above limits::kMaxImageDimension)
  // or the preprocessing is inconsistent (mean/stddev sizes, crop fraction).
  explicit ImagePreprocessor(const Preprocessing& preprocessing);

  // Writes channels x height x width floats (the model's input, CHW) to
  // `input_chw`. Throws bnn::Error for an invalid view (null data, sizes out
  // of range, a stride shorter than a row, a buffer too small for the format,
  // a region outside the frame, an unknown format), naming what is wrong.
  void run(const ImageView& image, float* input_chw);
  // The checks run() makes on a view, alone (throws bnn::Error).
  static void check(const ImageView& image);

  // Whether the last picture was inverted (its border was lighter than mid-grey).
  bool last_inverted() const { return last_inverted_; }
  const Preprocessing& preprocessing() const { return pre_; }

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
  std::vector<float> rows_;  // a ring of converted source rows: [slot][source column][channel]
  std::vector<int> ring_rows_;  // the source row each slot holds, or -1
  std::vector<float> row_;   // one output row filtered vertically: [source column][channel]
  std::vector<float> edge_;  // one border row or column
  bool last_inverted_ = false;
};

}  // namespace bnn
