// SPDX-License-Identifier: Apache-2.0
// Frame descriptors and their conversion to the model's colour channels.
//
// Every size in a descriptor is checked in 64 bits before a byte is read: the
// rows each plane needs against its stride and, when the caller says how many
// bytes it has, against that. Conversion walks the frame along one upright
// row or column (a rotation only changes the direction of the walk), one
// template instance per format, so the inner loop has no format switch.
// 4:2:0 and 4:2:2 chroma is taken from the sample covering the pixel (no
// interpolation), as ffmpeg's swscale does converting at the same size.
#include "engine/imaging/frame.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>

#include "model_format/limits.h"

namespace bnn {
namespace {

constexpr int64_t kMaxStride = limits::kMaxFrameStride;

// The per-pixel fetches must inline into the row loops (GCC otherwise calls
// them: a fifth of the frame path's time).
#define BNN_INLINE inline __attribute__((always_inline))

std::string str(int64_t v) { return std::to_string(v); }

int half_up(int v) { return (v + 1) / 2; }

// Bytes of one row of plane 0.
int64_t row_bytes(PixelFormat format, int width) {
  if (format == PixelFormat::kYUYV) return int64_t{4} * half_up(width);
  return int64_t{width} * bytes_per_pixel(format);
}

// The chroma planes of a planar YUV format: how many, and one row's bytes.
int chroma_planes(PixelFormat format) {
  switch (format) {
    case PixelFormat::kNV12:
    case PixelFormat::kNV21: return 1;
    case PixelFormat::kI420: return 2;
    default: return 0;
  }
}
int64_t chroma_row_bytes(PixelFormat format, int width) {
  return format == PixelFormat::kI420 ? half_up(width) : int64_t{2} * half_up(width);
}
// The chroma stride of the usual layout: the Y stride (half of it for I420),
// widened to a whole chroma row for odd widths.
int64_t default_chroma_stride(PixelFormat format, int width, int64_t stride) {
  return std::max(format == PixelFormat::kI420 ? (stride + 1) / 2 : stride, chroma_row_bytes(format, width));
}

// Bytes a plane of `rows` rows needs: full strides but an unpadded last row.
int64_t plane_bytes(int rows, int64_t stride, int64_t row) { return (rows - 1) * stride + row; }

struct Rgb {
  float r, g, b;
};

float clamp255(float v) { return std::min(255.0f, std::max(0.0f, v)); }

// Packed RGB-like formats: byte offsets of R, G, B and alpha (-1: none).
template <int Bpp, int R, int G, int B, int A>
struct PackedFetch {
  const uint8_t* base;
  int64_t stride;
  BNN_INLINE Rgb operator()(int x, int y) const {
    const uint8_t* p = base + y * stride + int64_t{x} * Bpp;
    if constexpr (A < 0) {
      return {float(p[R]), float(p[G]), float(p[B])};
    } else {
      const float a = p[A] / 255.0f;
      return {255.0f - (255.0f - p[R]) * a, 255.0f - (255.0f - p[G]) * a, 255.0f - (255.0f - p[B]) * a};
    }
  }
};

struct YuvCoefficients {
  float y0, ys, cs, rv, gu, gv, bu;
  BNN_INLINE Rgb operator()(int y, int u, int v) const {
    const float l = (static_cast<float>(y) - y0) * ys;
    const float cu = (static_cast<float>(u) - 128.0f) * cs, cv = (static_cast<float>(v) - 128.0f) * cs;
    return {clamp255(l + rv * cv), clamp255(l - gu * cu - gv * cv), clamp255(l + bu * cu)};
  }
};

// NV12 (U first) or NV21 (V first).
template <bool VFirst>
struct SemiPlanarFetch {
  const uint8_t *luma, *chroma;
  int64_t luma_stride, chroma_stride;
  YuvCoefficients k;
  BNN_INLINE Rgb operator()(int x, int y) const {
    const uint8_t* c = chroma + (y / 2) * chroma_stride + int64_t{x / 2} * 2;
    return VFirst ? k(luma[y * luma_stride + x], c[1], c[0]) : k(luma[y * luma_stride + x], c[0], c[1]);
  }
};

struct PlanarFetch {
  const uint8_t *luma, *u, *v;
  int64_t luma_stride, chroma_stride;
  YuvCoefficients k;
  BNN_INLINE Rgb operator()(int x, int y) const {
    const int64_t c = (y / 2) * chroma_stride + x / 2;
    return k(luma[y * luma_stride + x], u[c], v[c]);
  }
};

struct YuyvFetch {
  const uint8_t* base;
  int64_t stride;
  YuvCoefficients k;
  BNN_INLINE Rgb operator()(int x, int y) const {
    const uint8_t* p = base + y * stride + int64_t{x / 2} * 4;
    return k(p[(x & 1) * 2], p[1], p[3]);
  }
};

struct GrayFetch {
  const uint8_t* base;
  int64_t stride;
  BNN_INLINE Rgb operator()(int x, int y) const {
    const float v = base[y * stride + x];
    return {v, v, v};
  }
};

// One pixel as the model's channels.
template <Preprocessing::Color C, bool GreySource>
BNN_INLINE void emit(const Rgb& p, float* out) {
  if constexpr (C == Preprocessing::Color::kGray) {
    // A grey source stays exact; colour becomes BT.601 luma (PIL's "L", unrounded).
    out[0] = GreySource ? p.r : 0.299f * p.r + 0.587f * p.g + 0.114f * p.b;
  } else if constexpr (C == Preprocessing::Color::kRGB) {
    out[0] = p.r, out[1] = p.g, out[2] = p.b;
  } else {
    out[0] = p.b, out[1] = p.g, out[2] = p.r;
  }
}

// `count` pixels from (sx, sy) stepping (dx, dy), as the model's channels. An
// upright row (no rotation) is its own loop, with the row fixed.
template <Preprocessing::Color C, bool GreySource, class Fetch>
void walk_as(const Fetch& fetch, int sx, int sy, int dx, int dy, int count, float* out) {
  constexpr int kChannels = C == Preprocessing::Color::kGray ? 1 : 3;
  if (dx == 1 && dy == 0) {
    for (int i = 0; i < count; ++i) emit<C, GreySource>(fetch(sx + i, sy), out + i * kChannels);
    return;
  }
  for (int i = 0; i < count; ++i, sx += dx, sy += dy) emit<C, GreySource>(fetch(sx, sy), out + i * kChannels);
}

template <class Fetch>
void walk_with(const Fetch& fetch, bool grey_source, Preprocessing::Color color, int sx, int sy, int dx, int dy,
               int count, float* out) {
  switch (color) {
    case Preprocessing::Color::kGray:
      if (grey_source) {
        walk_as<Preprocessing::Color::kGray, true>(fetch, sx, sy, dx, dy, count, out);
      } else {
        walk_as<Preprocessing::Color::kGray, false>(fetch, sx, sy, dx, dy, count, out);
      }
      break;
    case Preprocessing::Color::kRGB: walk_as<Preprocessing::Color::kRGB, false>(fetch, sx, sy, dx, dy, count, out); break;
    case Preprocessing::Color::kBGR: walk_as<Preprocessing::Color::kBGR, false>(fetch, sx, sy, dx, dy, count, out); break;
  }
}

// An upright row of 4:2:0 YUV (NV12, NV21, I420): two pixels share each chroma
// sample, so its products are computed once per pair. The arithmetic is the
// per-pixel path's (YuvCoefficients), operation for operation: rotated and
// upright frames give the same bits.
template <Preprocessing::Color C>
void yuv420_row(const uint8_t* y, const uint8_t* u, const uint8_t* v, int cstep, int x, int count,
                const YuvCoefficients& k, float* out) {
  constexpr int kChannels = C == Preprocessing::Color::kGray ? 1 : 3;
  int i = 0;
  auto pixel = [&](int xi, float rv_cv, float gu_cu, float gv_cv, float bu_cu) {
    const float l = (static_cast<float>(y[xi]) - k.y0) * k.ys;
    emit<C, false>(Rgb{clamp255(l + rv_cv), clamp255(l - gu_cu - gv_cv), clamp255(l + bu_cu)}, out + i * kChannels);
    ++i;
  };
  auto chroma = [&](int xi, float* rv_cv, float* gu_cu, float* gv_cv, float* bu_cu) {
    const int c = (xi >> 1) * cstep;
    const float cu = (static_cast<float>(u[c]) - 128.0f) * k.cs, cv = (static_cast<float>(v[c]) - 128.0f) * k.cs;
    *rv_cv = k.rv * cv, *gu_cu = k.gu * cu, *gv_cv = k.gv * cv, *bu_cu = k.bu * cu;
  };
  float a, b, c, d;
  if ((x & 1) && count > 0) {
    chroma(x, &a, &b, &c, &d);
    pixel(x, a, b, c, d);
  }
  while (i + 1 < count) {
    const int xi = x + i;
    chroma(xi, &a, &b, &c, &d);
    pixel(xi, a, b, c, d);
    pixel(xi + 1, a, b, c, d);
  }
  if (i < count) {
    chroma(x + i, &a, &b, &c, &d);
    pixel(x + i, a, b, c, d);
  }
}

}  // namespace

int bytes_per_pixel(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8:
    case PixelFormat::kNV12:
    case PixelFormat::kNV21:
    case PixelFormat::kI420: return 1;
    case PixelFormat::kYUYV: return 2;
    case PixelFormat::kRGB888:
    case PixelFormat::kBGR888: return 3;
    case PixelFormat::kRGBA8888:
    case PixelFormat::kBGRA8888:
    case PixelFormat::kBGRX8888:
    case PixelFormat::kRGBX8888:
    case PixelFormat::kXRGB8888: return 4;
  }
  return 0;
}

bool is_yuv(PixelFormat format) {
  return format == PixelFormat::kNV12 || format == PixelFormat::kNV21 || format == PixelFormat::kI420 ||
         format == PixelFormat::kYUYV;
}

const char* pixel_format_name(PixelFormat format) {
  switch (format) {
    case PixelFormat::kGray8: return "GRAY8";
    case PixelFormat::kRGB888: return "RGB888";
    case PixelFormat::kRGBA8888: return "RGBA8888";
    case PixelFormat::kBGR888: return "BGR888";
    case PixelFormat::kBGRA8888: return "BGRA8888";
    case PixelFormat::kBGRX8888: return "BGRX8888";
    case PixelFormat::kRGBX8888: return "RGBX8888";
    case PixelFormat::kXRGB8888: return "XRGB8888";
    case PixelFormat::kNV12: return "NV12";
    case PixelFormat::kNV21: return "NV21";
    case PixelFormat::kI420: return "I420";
    case PixelFormat::kYUYV: return "YUYV";
  }
  return nullptr;
}

bool pixel_format_from_name(const std::string& name, PixelFormat* format) {
  // Ours, then GStreamer's and ffmpeg's (-pix_fmt) names of the same layouts.
  static const struct {
    const char* name;
    PixelFormat format;
  } kAliases[] = {
      {"RGB", PixelFormat::kRGB888},      {"RGBA", PixelFormat::kRGBA8888},   {"BGR", PixelFormat::kBGR888},
      {"BGRA", PixelFormat::kBGRA8888},   {"BGRx", PixelFormat::kBGRX8888},   {"RGBx", PixelFormat::kRGBX8888},
      {"xRGB", PixelFormat::kXRGB8888},   {"YUY2", PixelFormat::kYUYV},       {"gray", PixelFormat::kGray8},
      {"rgb24", PixelFormat::kRGB888},    {"bgr24", PixelFormat::kBGR888},    {"bgr0", PixelFormat::kBGRX8888},
      {"rgb0", PixelFormat::kRGBX8888},   {"0rgb", PixelFormat::kXRGB8888},   {"yuv420p", PixelFormat::kI420},
      {"yuyv422", PixelFormat::kYUYV},
  };
  auto same = [](const std::string& a, const char* b) {
    if (a.size() != std::strlen(b)) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
  };
  for (int f = 0; f <= static_cast<int>(PixelFormat::kYUYV); ++f) {
    if (same(name, pixel_format_name(static_cast<PixelFormat>(f)))) {
      *format = static_cast<PixelFormat>(f);
      return true;
    }
  }
  for (const auto& alias : kAliases) {
    if (same(name, alias.name)) {
      *format = alias.format;
      return true;
    }
  }
  return false;
}

size_t frame_bytes(PixelFormat format, int width, int height, int64_t stride, bool padded_last_row) {
  if (!pixel_format_name(format) || width < 1 || height < 1 || width > limits::kMaxImageDimension ||
      height > limits::kMaxImageDimension || int64_t{width} * height > limits::kMaxImagePixels || stride < 0 ||
      stride > kMaxStride) {
    return 0;
  }
  const int64_t row = row_bytes(format, width);
  if (stride == 0) stride = row;
  if (stride < row) return 0;
  int64_t total = 0;
  const int planes = chroma_planes(format);
  if (planes == 0) {
    total = plane_bytes(height, stride, padded_last_row ? stride : row);
  } else {
    const int64_t cstride = default_chroma_stride(format, width, stride);
    const int64_t crow = padded_last_row ? cstride : chroma_row_bytes(format, width);
    total = stride * height + cstride * half_up(height) * (planes - 1) + plane_bytes(half_up(height), cstride, crow);
  }
  // Up to 2^44 bytes before this bound: more than a 32-bit size_t holds (armv7).
  if (total > limits::kMaxFrameBytes || static_cast<uint64_t>(total) > SIZE_MAX) return 0;
  return static_cast<size_t>(total);
}

std::string frame_problem(PixelFormat format, int width, int height, int64_t stride, bool padded_last_row) {
  if (frame_bytes(format, width, height, stride, padded_last_row) != 0) return "";
  // The frame checks name the field at fault (a view with no size to check).
  static const uint8_t any_byte = 0;
  ImageView view;
  view.data = &any_byte;
  view.format = format;
  view.width = width;
  view.height = height;
  view.stride = stride;
  try {
    FrameReader(view, Preprocessing::Color::kRGB);
  } catch (const Error& e) {
    return e.what();
  }
  return std::string("a ") + str(width) + "x" + str(height) + " " + (pixel_format_name(format) ? pixel_format_name(format) : "?") +
         " frame with a row stride of " + str(stride) + " bytes needs more than " + str(limits::kMaxFrameBytes) +
         " bytes (kMaxFrameBytes)";
}

ImageView frame_in_buffer(PixelFormat format, int width, int height, int64_t stride, const void* data, size_t bytes) {
  ImageView view;
  view.data = static_cast<const uint8_t*>(data);
  view.width = width;
  view.height = height;
  view.stride = stride;
  view.format = format;
  view.bytes = bytes;
  if (bytes == 0) throw Error("frame: the buffer is empty");
  FrameReader(view, Preprocessing::Color::kRGB);  // the checks, with their messages
  return view;
}

FrameReader::FrameReader(const ImageView& view, Preprocessing::Color color)
    : format_(view.format), color_(color), rotation_(view.rotation) {
  const char* name = pixel_format_name(view.format);
  if (!name) throw Error("frame: unknown pixel format " + str(static_cast<int>(view.format)));
  if (!view.data) throw Error("frame: no pixel data (null pointer)");
  const int w = view.width, h = view.height;
  if (w < 1 || h < 1 || w > limits::kMaxImageDimension || h > limits::kMaxImageDimension) {
    throw Error("frame: " + str(w) + "x" + str(h) + " is outside 1.." + str(limits::kMaxImageDimension) +
                " per side (kMaxImageDimension)");
  }
  if (int64_t{w} * h > limits::kMaxImagePixels) {
    throw Error("frame: " + str(w) + "x" + str(h) + " is more than " + str(limits::kMaxImagePixels) +
                " pixels (kMaxImagePixels)");
  }
  // Built only for an error message: a valid frame allocates nothing.
  auto what = [&] { return std::string("frame (") + name + ", " + str(w) + "x" + str(h) + "): "; };
  const int64_t row = row_bytes(format_, w);
  const int64_t stride = view.stride == 0 ? row : view.stride;
  if (stride < row || stride > kMaxStride) {
    throw Error(what() + "a row stride of " + str(stride) + " bytes is " +
                (stride < row ? "shorter than a row (" + str(row) + " bytes)" : "above kMaxFrameStride (" + str(kMaxStride) + ")"));
  }
  plane_[0] = view.data;
  stride_[0] = stride;
  const int64_t luma_bytes = plane_bytes(h, stride, row);

  const int planes = chroma_planes(format_);
  if (planes > 0) {
    const int64_t crow = chroma_row_bytes(format_, w);
    const int64_t cstride = view.chroma_stride == 0 ? default_chroma_stride(format_, w, stride) : view.chroma_stride;
    if (cstride < crow || cstride > kMaxStride) {
      throw Error(what() + "a chroma stride of " + str(cstride) + " bytes is " +
                  (cstride < crow ? "shorter than a chroma row (" + str(crow) + " bytes)" : "above kMaxFrameStride (" + str(kMaxStride) + ")"));
    }
    const int64_t cplane = plane_bytes(half_up(h), cstride, crow);
    if (view.chroma[0] == nullptr) {  // one buffer: Y, then the chroma planes
      if (view.chroma[1] != nullptr) throw Error(what() + "chroma[1] is set without chroma[0]");
      const int64_t need = stride * h + cstride * half_up(h) * (planes - 1) + cplane;
      if (view.bytes != 0 && static_cast<uint64_t>(need) > view.bytes) {
        throw Error(what() + "the buffer has " + str(static_cast<int64_t>(view.bytes)) + " bytes; the frame needs " +
                    str(need) + " (stride " + str(stride) + ", chroma stride " + str(cstride) + ")");
      }
      plane_[1] = view.data + stride * h;
      plane_[2] = plane_[1] + cstride * half_up(h);
    } else {
      if (planes == 2 && view.chroma[1] == nullptr) throw Error(what() + "I420 needs both chroma planes (U and V)");
      if (view.bytes != 0 && static_cast<uint64_t>(luma_bytes) > view.bytes) {
        throw Error(what() + "the Y plane has " + str(static_cast<int64_t>(view.bytes)) + " bytes; it needs " +
                    str(luma_bytes) + " (stride " + str(stride) + ")");
      }
      for (int p = 0; p < planes; ++p) {
        if (view.chroma_bytes[p] != 0 && static_cast<uint64_t>(cplane) > view.chroma_bytes[p]) {
          throw Error(what() + "chroma plane " + str(p) + " has " + str(static_cast<int64_t>(view.chroma_bytes[p])) +
                      " bytes; it needs " + str(cplane) + " (chroma stride " + str(cstride) + ")");
        }
      }
      plane_[1] = view.chroma[0];
      plane_[2] = view.chroma[1];
    }
    stride_[1] = stride_[2] = cstride;
  } else if (view.bytes != 0 && static_cast<uint64_t>(luma_bytes) > view.bytes) {
    throw Error(what() + "the buffer has " + str(static_cast<int64_t>(view.bytes)) + " bytes; the frame needs " +
                str(luma_bytes) + " (stride " + str(stride) + ")");
  }

  const Region& r = view.roi;
  if (r.width == 0 && r.height == 0 && r.x == 0 && r.y == 0) {
    roi_w_ = w, roi_h_ = h;
  } else {
    if (r.x < 0 || r.y < 0 || r.width < 1 || r.height < 1 || int64_t{r.x} + r.width > w ||
        int64_t{r.y} + r.height > h) {
      throw Error(what() + "the region of interest " + str(r.width) + "x" + str(r.height) + " at (" + str(r.x) + ", " +
                  str(r.y) + ") is not inside the frame");
    }
    roi_x_ = r.x, roi_y_ = r.y, roi_w_ = r.width, roi_h_ = r.height;
  }
  switch (rotation_) {
    case Rotation::k0:
    case Rotation::k180: width_ = roi_w_, height_ = roi_h_; break;
    case Rotation::k90:
    case Rotation::k270: width_ = roi_h_, height_ = roi_w_; break;
    default: throw Error(what() + "rotation must be 0, 90, 180 or 270 degrees, not " + str(static_cast<int>(rotation_)));
  }
  if (view.matrix != YuvMatrix::kBT601 && view.matrix != YuvMatrix::kBT709) throw Error(what() + "unknown YUV matrix");
  if (view.range != YuvRange::kLimited && view.range != YuvRange::kFull) throw Error(what() + "unknown YUV range");
  if (color != Preprocessing::Color::kGray && color != Preprocessing::Color::kRGB &&
      color != Preprocessing::Color::kBGR) {
    throw Error("preprocessing: unknown colour mode");
  }
  channels_ = color == Preprocessing::Color::kGray ? 1 : 3;

  const float kr = view.matrix == YuvMatrix::kBT709 ? 0.2126f : 0.299f;
  const float kb = view.matrix == YuvMatrix::kBT709 ? 0.0722f : 0.114f;
  const float kg = 1.0f - kr - kb;
  rv_ = 2 * (1 - kr), bu_ = 2 * (1 - kb), gu_ = 2 * kb * (1 - kb) / kg, gv_ = 2 * kr * (1 - kr) / kg;
  if (view.range == YuvRange::kLimited) y0_ = 16, ys_ = 255.0f / 219, cs_ = 255.0f / 224;
}

void FrameReader::to_frame(int x, int y, int& sx, int& sy) const {
  switch (rotation_) {
    case Rotation::k0: sx = x, sy = y; break;
    case Rotation::k90: sx = y, sy = roi_h_ - 1 - x; break;
    case Rotation::k180: sx = roi_w_ - 1 - x, sy = roi_h_ - 1 - y; break;
    case Rotation::k270: sx = roi_w_ - 1 - y, sy = x; break;
  }
  sx += roi_x_, sy += roi_y_;
}

void FrameReader::row(int y, int x, int count, float* out) const {
  int sx, sy, ex, ey;
  to_frame(x, y, sx, sy);
  to_frame(x + 1, y, ex, ey);
  walk(sx, sy, ex - sx, ey - sy, count, out);
}

void FrameReader::column(int x, int y, int count, float* out) const {
  int sx, sy, ex, ey;
  to_frame(x, y, sx, sy);
  to_frame(x, y + 1, ex, ey);
  walk(sx, sy, ex - sx, ey - sy, count, out);
}

void FrameReader::walk(int sx, int sy, int dx, int dy, int count, float* out) const {
  const YuvCoefficients k{y0_, ys_, cs_, rv_, gu_, gv_, bu_};
  if (dx == 1 && dy == 0 &&
      (format_ == PixelFormat::kNV12 || format_ == PixelFormat::kNV21 || format_ == PixelFormat::kI420)) {
    const uint8_t* y = plane_[0] + sy * stride_[0];
    const uint8_t* c = plane_[1] + (sy / 2) * stride_[1];
    const uint8_t* u = format_ == PixelFormat::kNV21 ? c + 1 : c;
    const uint8_t* v = format_ == PixelFormat::kI420 ? plane_[2] + (sy / 2) * stride_[2]
                       : format_ == PixelFormat::kNV21 ? c : c + 1;
    const int cstep = format_ == PixelFormat::kI420 ? 1 : 2;
    switch (color_) {
      case Preprocessing::Color::kGray: yuv420_row<Preprocessing::Color::kGray>(y, u, v, cstep, sx, count, k, out); break;
      case Preprocessing::Color::kRGB: yuv420_row<Preprocessing::Color::kRGB>(y, u, v, cstep, sx, count, k, out); break;
      case Preprocessing::Color::kBGR: yuv420_row<Preprocessing::Color::kBGR>(y, u, v, cstep, sx, count, k, out); break;
    }
    return;
  }
  auto go = [&](const auto& fetch, bool grey_source) { walk_with(fetch, grey_source, color_, sx, sy, dx, dy, count, out); };
  const uint8_t* p = plane_[0];
  const int64_t s = stride_[0];
  switch (format_) {
    case PixelFormat::kGray8: go(GrayFetch{p, s}, true); break;
    case PixelFormat::kRGB888: go(PackedFetch<3, 0, 1, 2, -1>{p, s}, false); break;
    case PixelFormat::kBGR888: go(PackedFetch<3, 2, 1, 0, -1>{p, s}, false); break;
    case PixelFormat::kRGBA8888: go(PackedFetch<4, 0, 1, 2, 3>{p, s}, false); break;
    case PixelFormat::kBGRA8888: go(PackedFetch<4, 2, 1, 0, 3>{p, s}, false); break;
    case PixelFormat::kBGRX8888: go(PackedFetch<4, 2, 1, 0, -1>{p, s}, false); break;
    case PixelFormat::kRGBX8888: go(PackedFetch<4, 0, 1, 2, -1>{p, s}, false); break;
    case PixelFormat::kXRGB8888: go(PackedFetch<4, 1, 2, 3, -1>{p, s}, false); break;
    case PixelFormat::kNV12: go(SemiPlanarFetch<false>{p, plane_[1], s, stride_[1], k}, false); break;
    case PixelFormat::kNV21: go(SemiPlanarFetch<true>{p, plane_[1], s, stride_[1], k}, false); break;
    case PixelFormat::kI420: go(PlanarFetch{p, plane_[1], plane_[2], s, stride_[1], k}, false); break;
    case PixelFormat::kYUYV: go(YuyvFetch{p, s, k}, false); break;
  }
}

}  // namespace bnn
