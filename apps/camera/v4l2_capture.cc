// SPDX-License-Identifier: Apache-2.0
#include "apps/camera/v4l2_capture.h"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bnn {
namespace {

int xioctl(int fd, unsigned long request, void* arg) {
  int r;
  do {
    r = ioctl(fd, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}

uint32_t fourcc(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8: return V4L2_PIX_FMT_GREY;
    case PixelFormat::kRGB888: return V4L2_PIX_FMT_RGB24;
    case PixelFormat::kBGR888: return V4L2_PIX_FMT_BGR24;
    case PixelFormat::kBGRX8888: return V4L2_PIX_FMT_XBGR32;  // V4L2 names by word order: bytes B, G, R, X
    case PixelFormat::kXRGB8888: return V4L2_PIX_FMT_XRGB32;  // bytes X, R, G, B
    case PixelFormat::kNV12: return V4L2_PIX_FMT_NV12;
    case PixelFormat::kNV21: return V4L2_PIX_FMT_NV21;
    case PixelFormat::kI420: return V4L2_PIX_FMT_YUV420;
    case PixelFormat::kYUYV: return V4L2_PIX_FMT_YUYV;
    default: return 0;
  }
}

}  // namespace

V4l2Capture::V4l2Capture(const std::string& device, PixelFormat format, int width, int height)
    : device_(device), format_(format) {
  auto fail = [&](const std::string& what) {
    const std::string message = device_ + ": " + what + (errno ? std::string(" (") + std::strerror(errno) + ")" : "");
    throw std::runtime_error(message);
  };
  const uint32_t code = fourcc(format);
  if (code == 0) throw std::runtime_error(device_ + ": no V4L2 equivalent of the pixel format " + pixel_format_name(format));
  fd_ = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) fail("cannot open the camera");
  try {
    v4l2_capability cap{};
    if (xioctl(fd_, VIDIOC_QUERYCAP, &cap) == -1) fail("not a V4L2 device");
    if (!(cap.capabilities & V4L2_CAP_VIDEO_CAPTURE) || !(cap.capabilities & V4L2_CAP_STREAMING)) {
      errno = 0;
      fail("not a streaming video capture device");
    }
    v4l2_format fmt{};
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    fmt.fmt.pix.width = static_cast<uint32_t>(width);
    fmt.fmt.pix.height = static_cast<uint32_t>(height);
    fmt.fmt.pix.pixelformat = code;
    fmt.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(fd_, VIDIOC_S_FMT, &fmt) == -1) fail("cannot set the format");
    if (fmt.fmt.pix.pixelformat != code) {
      errno = 0;
      fail(std::string("the camera does not offer ") + pixel_format_name(format));
    }
    width_ = static_cast<int>(fmt.fmt.pix.width);
    height_ = static_cast<int>(fmt.fmt.pix.height);
    stride_ = fmt.fmt.pix.bytesperline;

    v4l2_requestbuffers req{};
    req.count = 4;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_REQBUFS, &req) == -1 || req.count < 2) fail("cannot get capture buffers");
    for (uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QUERYBUF, &buf) == -1) fail("cannot query a capture buffer");
      void* p = mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buf.m.offset);
      if (p == MAP_FAILED) fail("cannot map a capture buffer");
      buffers_.push_back({p, buf.length});
      if (xioctl(fd_, VIDIOC_QBUF, &buf) == -1) fail("cannot queue a capture buffer");
    }
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_STREAMON, &type) == -1) fail("cannot start streaming");
  } catch (...) {
    for (const Buffer& b : buffers_) munmap(b.data, b.length);
    ::close(fd_);
    throw;
  }
}

V4l2Capture::~V4l2Capture() {
  v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  xioctl(fd_, VIDIOC_STREAMOFF, &type);
  for (const Buffer& b : buffers_) munmap(b.data, b.length);
  ::close(fd_);
}

ImageView V4l2Capture::next() {
  if (queued_index_ >= 0) {  // give the last frame back to the driver
    v4l2_buffer buf{};
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    buf.index = static_cast<uint32_t>(queued_index_);
    if (xioctl(fd_, VIDIOC_QBUF, &buf) == -1) throw std::runtime_error(device_ + ": cannot requeue a buffer");
    queued_index_ = -1;
  }
  v4l2_buffer buf{};
  buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  buf.memory = V4L2_MEMORY_MMAP;
  if (xioctl(fd_, VIDIOC_DQBUF, &buf) == -1) {
    throw std::runtime_error(device_ + ": cannot take a frame (" + std::strerror(errno) + ")");
  }
  queued_index_ = static_cast<int>(buf.index);
  const Buffer& b = buffers_.at(buf.index);
  ImageView view(static_cast<const uint8_t*>(b.data), width_, height_, stride_, format_);
  view.bytes = buf.bytesused ? buf.bytesused : b.length;
  return view;
}

}  // namespace bnn
