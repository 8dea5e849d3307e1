// SPDX-License-Identifier: Apache-2.0
// A V4L2 camera in mmap streaming mode: open, set the format, map a few
// buffers, then hand out one filled frame at a time. Linux only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bnn/image.h"

namespace bnn {

class V4l2Capture {
 public:
  // Opens `device` and asks for `format` at width x height; throws
  // std::runtime_error naming the device and what failed (absent device, a
  // format the driver does not offer, no streaming support).
  V4l2Capture(const std::string& device, PixelFormat format, int width, int height);
  ~V4l2Capture();
  V4l2Capture(const V4l2Capture&) = delete;
  V4l2Capture& operator=(const V4l2Capture&) = delete;

  // Waits for the next frame; the view stays valid until the next call.
  ImageView next();

  // What the driver agreed to: its width, height and row stride.
  int width() const { return width_; }
  int height() const { return height_; }
  int64_t stride() const { return stride_; }

 private:
  struct Buffer {
    void* data = nullptr;
    size_t length = 0;
  };
  std::string device_;
  PixelFormat format_;
  int fd_ = -1;
  int width_ = 0, height_ = 0;
  int64_t stride_ = 0;
  std::vector<Buffer> buffers_;
  int queued_index_ = -1;  // the buffer handed out last, requeued on the next call
};

}  // namespace bnn
