// SPDX-License-Identifier: Apache-2.0
/* bnn-engine C API: plain C99, for apps that embed the engine.
 *
 *   bnn_model* model = NULL;
 *   if (bnn_model_load_file("model.bnn", &model) != BNN_OK) {
 *     fprintf(stderr, "%s\n", bnn_last_error());
 *     return 1;
 *   }
 *   bnn_context* ctx = NULL;
 *   bnn_context_create(model, 1, &ctx);               // threads inside each layer
 *   bnn_frame frame;
 *   bnn_frame_from_buffer(&frame, BNN_PIXEL_NV12, 640, 480, 0, data, size);
 *   if (bnn_context_run(ctx, &frame) == BNN_OK) {
 *     bnn_class best[3];
 *     size_t n = bnn_context_top_k(ctx, 3, best);      // best[0].label, best[0].probability
 *   } else {
 *     fprintf(stderr, "%s\n", bnn_context_last_error(ctx));
 *   }
 *   bnn_context_destroy(ctx);
 *   bnn_model_destroy(model);
 *
 * Conventions (as in TFLite's and ONNX Runtime's C APIs): opaque handles with
 * create/destroy pairs; every call that can fail returns a bnn_status; no
 * C++ exception crosses this header. The message of the last failure is
 * bnn_context_last_error(ctx) for calls on a context, and bnn_last_error()
 * (per calling thread) for every call, including those without a handle.
 * Destroy functions accept NULL.
 *
 * Threads: a bnn_model is immutable once loaded and may be shared by any
 * number of threads and contexts; each bnn_context is used by one thread at a
 * time (one context per camera stream or worker thread). Destroy the contexts
 * before their model.
 *
 * Memory: after the first frame of a given size, bnn_context_run allocates
 * nothing. Strings and arrays returned by the library live as long as the
 * handle they came from (a context's results until its next run).
 */
#ifndef BNN_BNN_H_
#define BNN_BNN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define BNN_API
#else
#define BNN_API __attribute__((visibility("default")))
#endif
/* Compiled as C++, every function is noexcept: nothing can throw through it. */
#ifdef __cplusplus
#define BNN_NOEXCEPT noexcept
#else
#define BNN_NOEXCEPT
#endif


typedef enum bnn_status {
  BNN_OK = 0,
  BNN_ERROR_INVALID_ARGUMENT = 1, /* a NULL handle or pointer, a value out of range */
  BNN_ERROR_IO = 2,               /* a model file that cannot be opened or read */
  BNN_ERROR_INVALID_MODEL = 3,    /* not a bnn model, damaged, or not usable here */
  BNN_ERROR_INVALID_FRAME = 4,    /* a frame descriptor that does not describe valid memory */
  BNN_ERROR_OUT_OF_MEMORY = 5,
  BNN_ERROR_RUNTIME = 6,          /* anything else while running, e.g. a non-finite output */
  BNN_STATUS_MIN_ENUM = -0x7FFFFFFF - 1,
  BNN_STATUS_MAX_ENUM = 0x7FFFFFFF
} bnn_status;

/* Every enum spans the whole int32 range (*_MIN_ENUM and *_MAX_ENUM, after
 * Vulkan's convention): it is 32 bits wide, and whatever value a caller
 * stores in it can be read by the library and refused with a message. */

/* Pixel formats, named by their bytes in memory (see bnn/image.h). */
typedef enum bnn_pixel_format {
  BNN_PIXEL_GRAY8 = 0,
  BNN_PIXEL_RGB888 = 1,
  BNN_PIXEL_RGBA8888 = 2, /* straight alpha, composited over white */
  BNN_PIXEL_BGR888 = 3,
  BNN_PIXEL_BGRA8888 = 4,
  BNN_PIXEL_BGRX8888 = 5, /* libcamera's and DRM's XRGB8888, GStreamer's BGRx */
  BNN_PIXEL_RGBX8888 = 6, /* DRM's XBGR8888, GStreamer's RGBx */
  BNN_PIXEL_XRGB8888 = 7, /* bytes unused, R, G, B: GStreamer's xRGB */
  BNN_PIXEL_NV12 = 8,
  BNN_PIXEL_NV21 = 9,
  BNN_PIXEL_I420 = 10,    /* YUV420 planar: Y, U, V */
  BNN_PIXEL_YUYV = 11,    /* YUY2 */
  BNN_PIXEL_MIN_ENUM = -0x7FFFFFFF - 1,
  BNN_PIXEL_MAX_ENUM = 0x7FFFFFFF
} bnn_pixel_format;

typedef enum bnn_yuv_matrix {
  BNN_YUV_BT601 = 0,
  BNN_YUV_BT709 = 1,
  BNN_YUV_MATRIX_MIN_ENUM = -0x7FFFFFFF - 1,
  BNN_YUV_MATRIX_MAX_ENUM = 0x7FFFFFFF
} bnn_yuv_matrix;
typedef enum bnn_yuv_range {
  BNN_YUV_LIMITED = 0,
  BNN_YUV_FULL = 1,
  BNN_YUV_RANGE_MIN_ENUM = -0x7FFFFFFF - 1,
  BNN_YUV_RANGE_MAX_ENUM = 0x7FFFFFFF
} bnn_yuv_range;

/* A frame in the caller's memory; nothing is copied or kept after a run. */
typedef struct bnn_frame {
  bnn_pixel_format format;
  int32_t width, height;
  /* planes[0]: the pixels, or Y. NV12/NV21: planes[1] the interleaved chroma.
   * I420: planes[1] U, planes[2] V. */
  const uint8_t* planes[3];
  int32_t strides[3];     /* bytes from row to row; 0: tightly packed; chroma 0: the Y stride
                           * (I420: half of it), at least one chroma row */
  size_t plane_bytes[3];  /* bytes readable in each plane, checked; 0: unchecked (not recommended) */
  int32_t roi_x, roi_y, roi_width, roi_height; /* region of interest; all 0: the whole frame */
  int32_t rotation;       /* clockwise degrees that make the frame upright: 0, 90, 180, 270 */
  bnn_yuv_matrix matrix;  /* YUV formats only; default BT.601 */
  bnn_yuv_range range;    /* YUV formats only; default limited */
  int32_t reserved[8];    /* set to 0 (bnn_frame_from_buffer does): room for later fields */
} bnn_frame;

/* A frame in one buffer in the usual layout (planes one after the other:
 * Y of stride x height, then chroma). Zeroes the rest of *frame (whole frame,
 * no rotation, BT.601 limited). Fails when `bytes` cannot hold the frame. */
BNN_API bnn_status bnn_frame_from_buffer(bnn_frame* frame, bnn_pixel_format format, int32_t width, int32_t height,
                                         int32_t stride, const void* data, size_t bytes) BNN_NOEXCEPT;
/* The bytes such a frame needs; 0 for invalid arguments, or past 1 GiB. */
BNN_API size_t bnn_frame_buffer_size(bnn_pixel_format format, int32_t width, int32_t height, int32_t stride) BNN_NOEXCEPT;
/* "NV12", "RGB888", ...; NULL for an unknown value. */
BNN_API const char* bnn_pixel_format_name(bnn_pixel_format format) BNN_NOEXCEPT;

/* The library's version, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"). */
BNN_API const char* bnn_version(void) BNN_NOEXCEPT;
/* The newest model schema version this library reads (older ones load too). */
BNN_API uint32_t bnn_schema_version(void) BNN_NOEXCEPT;
BNN_API const char* bnn_status_string(bnn_status status) BNN_NOEXCEPT;
/* The message of the calling thread's last failed call ("" if none). */
BNN_API const char* bnn_last_error(void) BNN_NOEXCEPT;

typedef struct bnn_model bnn_model;

/* Loads, verifies (structure, meaning and checksum) and prepares a model.
 * The file is read once and closed before this returns; it may then change. */
BNN_API bnn_status bnn_model_load_file(const char* path, bnn_model** model) BNN_NOEXCEPT;
/* The same from memory. The bytes are copied: the caller's buffer may be
 * freed or reused as soon as this returns. */
BNN_API bnn_status bnn_model_load_buffer(const void* data, size_t size, bnn_model** model) BNN_NOEXCEPT;
BNN_API void bnn_model_destroy(bnn_model* model) BNN_NOEXCEPT;

/* The input picture's channels (1 grey, 3 colour), height and width. */
BNN_API bnn_status bnn_model_input_shape(const bnn_model* model, int32_t* channels, int32_t* height, int32_t* width) BNN_NOEXCEPT;
/* Values per output (classes). */
BNN_API size_t bnn_model_output_size(const bnn_model* model) BNN_NOEXCEPT;
/* The model's label for class `index`, or NULL past the labels it has. */
BNN_API const char* bnn_model_label(const bnn_model* model, size_t index) BNN_NOEXCEPT;
BNN_API size_t bnn_model_label_count(const bnn_model* model) BNN_NOEXCEPT;
/* Its preprocessing in words: "GRAY, HxW 28x28, fit (aspect kept, padded), ..." */
BNN_API const char* bnn_model_preprocessing(const bnn_model* model) BNN_NOEXCEPT;
/* The schema version the model file was written with. */
BNN_API uint32_t bnn_model_schema_version(const bnn_model* model) BNN_NOEXCEPT;

typedef struct bnn_context bnn_context;

/* An inference context: the activation arena, preprocessing scratch and
 * results. `threads`: threads inside each layer (1 or more; results are
 * identical for any count). */
BNN_API bnn_status bnn_context_create(const bnn_model* model, int32_t threads, bnn_context** context) BNN_NOEXCEPT;
BNN_API void bnn_context_destroy(bnn_context* context) BNN_NOEXCEPT;
BNN_API const char* bnn_context_last_error(const bnn_context* context) BNN_NOEXCEPT;

/* Preprocesses the frame (colour, region, rotation, resize, normalisation in
 * one pass) and runs the network. */
BNN_API bnn_status bnn_context_run(bnn_context* context, const bnn_frame* frame) BNN_NOEXCEPT;
/* Runs the network on an input already preprocessed: channels x height x
 * width floats (`count` of them), PyTorch's layout. */
BNN_API bnn_status bnn_context_run_input(bnn_context* context, const float* input_chw, size_t count) BNN_NOEXCEPT;

typedef struct bnn_class {
  int32_t index;      /* the output's class index */
  float probability;  /* softmax of the output (the output itself if the model ends in a softmax) */
  const char* label;  /* the model's label, or "class N" */
} bnn_class;

/* The k most probable classes of the last run, highest first; returns how
 * many were written (min(k, output size); 0 before the first run). */
BNN_API size_t bnn_context_top_k(bnn_context* context, size_t k, bnn_class* classes) BNN_NOEXCEPT;
/* The last run's raw outputs (logits): *count floats, valid until the next run. */
BNN_API bnn_status bnn_context_logits(const bnn_context* context, const float** logits, size_t* count) BNN_NOEXCEPT;
/* Milliseconds the last run spent preprocessing and in the network. */
BNN_API bnn_status bnn_context_last_timing(const bnn_context* context, double* preprocess_ms, double* inference_ms) BNN_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* BNN_BNN_H_ */
