// SPDX-License-Identifier: Apache-2.0
// Reading a caller's frame: validation of its descriptor against the format,
// and conversion of one row of the upright region of interest at a time into
// the model's colour channels. The resampler (preprocess.cc) sees only an
// upright width x height picture of floats in [0, 255].
#pragma once

#include <cstdint>

#include "bnn/engine.h"
#include "bnn/image.h"

namespace bnn {

class FrameReader {
 public:
  // Checks everything about `view` (throws bnn::Error naming the problem);
  // `color` is the model's: 1 channel for kGray, 3 for kRGB and kBGR.
  FrameReader(const ImageView& view, Preprocessing::Color color);

  // The upright region of interest.
  int width() const { return width_; }
  int height() const { return height_; }
  int channels() const { return channels_; }

  // `count` pixels of upright row `y` from column `x`, channels() floats each.
  void row(int y, int x, int count, float* out) const;
  // `count` pixels of upright column `x` from row `y`.
  void column(int x, int y, int count, float* out) const;

 private:
  // `count` source pixels from (sx, sy), stepping (dx, dy) in frame pixels.
  void walk(int sx, int sy, int dx, int dy, int count, float* out) const;
  // Frame coordinates of upright (x, y).
  void to_frame(int x, int y, int& sx, int& sy) const;

  PixelFormat format_;
  Preprocessing::Color color_;
  const uint8_t* plane_[3] = {nullptr, nullptr, nullptr};
  int64_t stride_[3] = {0, 0, 0};
  int roi_x_ = 0, roi_y_ = 0, roi_w_ = 0, roi_h_ = 0;
  Rotation rotation_ = Rotation::k0;
  int width_ = 0, height_ = 0, channels_ = 0;
  // YUV -> RGB: R = y' + rv v', G = y' - gu u' - gv v', B = y' + bu u' with
  // y' = (Y - y0) * ys and u', v' = (C - 128) * cs.
  float y0_ = 0, ys_ = 1, cs_ = 1, rv_ = 0, gu_ = 0, gv_ = 0, bu_ = 0;
};

}  // namespace bnn
