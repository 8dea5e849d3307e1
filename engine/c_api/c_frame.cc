// SPDX-License-Identifier: Apache-2.0
// bnn_frame (C) to ImageView (C++): every field checked or carried over, so
// the frame checks in frame.cc see exactly what the caller described.
#include "engine/c_api/c_frame.h"

#include <string>

namespace bnn {

ImageView view_of_frame(const bnn_frame& f) {
  if (f.format < BNN_PIXEL_GRAY8 || f.format > BNN_PIXEL_YUYV) {
    throw Error("frame: unknown pixel format " + std::to_string(static_cast<int>(f.format)));
  }
  ImageView v;
  v.format = static_cast<PixelFormat>(f.format);
  v.data = f.planes[0];
  v.width = f.width;
  v.height = f.height;
  v.stride = f.strides[0];
  v.bytes = f.plane_bytes[0];
  v.chroma[0] = f.planes[1];
  v.chroma[1] = f.planes[2];
  if (v.format == PixelFormat::kI420 && f.strides[2] != 0 && f.strides[2] != f.strides[1]) {
    throw Error("frame: I420 with different U and V strides (" + std::to_string(f.strides[1]) + ", " +
                std::to_string(f.strides[2]) + ") is not supported");
  }
  v.chroma_stride = f.strides[1];
  v.chroma_bytes[0] = f.plane_bytes[1];
  v.chroma_bytes[1] = f.plane_bytes[2];
  v.roi = {f.roi_x, f.roi_y, f.roi_width, f.roi_height};
  if (f.rotation != 0 && f.rotation != 90 && f.rotation != 180 && f.rotation != 270) {
    throw Error("frame: rotation must be 0, 90, 180 or 270 degrees, not " + std::to_string(f.rotation));
  }
  v.rotation = static_cast<Rotation>(f.rotation);
  if (f.matrix != BNN_YUV_BT601 && f.matrix != BNN_YUV_BT709) throw Error("frame: unknown YUV matrix");
  if (f.range != BNN_YUV_LIMITED && f.range != BNN_YUV_FULL) throw Error("frame: unknown YUV range");
  v.matrix = f.matrix == BNN_YUV_BT709 ? YuvMatrix::kBT709 : YuvMatrix::kBT601;
  v.range = f.range == BNN_YUV_FULL ? YuvRange::kFull : YuvRange::kLimited;
  return v;
}

}  // namespace bnn
