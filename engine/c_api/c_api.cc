// SPDX-License-Identifier: Apache-2.0
// The C API (bnn/bnn.h) over the C++ one: handles own C++ objects, every
// entry point catches everything and turns it into a status and a message.
#include "bnn/bnn.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "bnn/classifier.h"
#include "bnn/engine.h"
#include "bnn/image.h"
#include "engine/c_api/c_frame.h"
#include "model_format/schema.h"

#ifndef BNN_VERSION_STRING
#error "the build defines BNN_VERSION_STRING (the project version)"
#endif

struct bnn_model {
  std::shared_ptr<const bnn::Model> model;
  std::string preprocessing;
};

struct bnn_context {
  std::shared_ptr<const bnn::Model> model;
  std::unique_ptr<bnn::Classifier> classifier;
  std::vector<bnn::ClassScore> scores;
  bool has_run = false;
  std::string error;
};

namespace {

thread_local std::string last_error;

// Records a failure for bnn_last_error() and, when there is one, the context.
// The message is built here, inside the try: no exception (not even
// bad_alloc while concatenating it) may reach the C caller.
template <class MakeMessage>
bnn_status fail_with(bnn_status status, bnn_context* context, const MakeMessage& make_message) noexcept {
  try {
    last_error = make_message();
    if (context) context->error = last_error;
  } catch (...) {  // no memory for the message: the status still says what happened
  }
  return status;
}

bnn_status fail(bnn_status status, const char* message, bnn_context* context = nullptr) noexcept {
  return fail_with(status, context, [&] { return std::string(message); });
}

// Runs `body`, mapping exceptions to statuses. `fallback` is the status of a bnn::Error.
template <class Body>
bnn_status guarded(bnn_status fallback, bnn_context* context, Body&& body) {
  try {
    body();
    return BNN_OK;
  } catch (const bnn::FileError& e) {
    return fail(BNN_ERROR_IO, e.what(), context);
  } catch (const bnn::Error& e) {
    return fail(fallback, e.what(), context);
  } catch (const std::bad_alloc&) {
    return fail(BNN_ERROR_OUT_OF_MEMORY, "out of memory", context);
  } catch (const std::exception& e) {
    return fail(BNN_ERROR_RUNTIME, e.what(), context);
  } catch (...) {
    return fail(BNN_ERROR_RUNTIME, "unknown error", context);
  }
}

bnn_status null_argument(const char* what, bnn_context* context = nullptr) noexcept {
  return fail_with(BNN_ERROR_INVALID_ARGUMENT, context, [&] { return std::string(what) + " is NULL"; });
}

}  // namespace

extern "C" {

const char* bnn_version(void) noexcept { return BNN_VERSION_STRING; }
uint32_t bnn_schema_version(void) noexcept { return bnn::kSchemaVersion; }

const char* bnn_status_string(bnn_status status) noexcept {
  switch (status) {
    case BNN_OK: return "ok";
    case BNN_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case BNN_ERROR_IO: return "cannot read the file";
    case BNN_ERROR_INVALID_MODEL: return "invalid model";
    case BNN_ERROR_INVALID_FRAME: return "invalid frame";
    case BNN_ERROR_OUT_OF_MEMORY: return "out of memory";
    case BNN_ERROR_RUNTIME: return "runtime error";
    case BNN_STATUS_MIN_ENUM:
    case BNN_STATUS_MAX_ENUM: break;
  }
  return "unknown status";
}

const char* bnn_last_error(void) noexcept { return last_error.c_str(); }

const char* bnn_pixel_format_name(bnn_pixel_format format) noexcept {
  if (format < BNN_PIXEL_GRAY8 || format > BNN_PIXEL_YUYV) return nullptr;
  return bnn::pixel_format_name(static_cast<bnn::PixelFormat>(format));
}

size_t bnn_frame_buffer_size(bnn_pixel_format format, int32_t width, int32_t height, int32_t stride) noexcept {
  if (format < BNN_PIXEL_GRAY8 || format > BNN_PIXEL_YUYV) return 0;
  return bnn::frame_bytes(static_cast<bnn::PixelFormat>(format), width, height, stride);
}

bnn_status bnn_frame_from_buffer(bnn_frame* frame, bnn_pixel_format format, int32_t width, int32_t height,
                                 int32_t stride, const void* data, size_t bytes) noexcept {
  if (!frame) return null_argument("frame");
  std::memset(frame, 0, sizeof *frame);
  frame->format = format;
  frame->width = width;
  frame->height = height;
  frame->planes[0] = static_cast<const uint8_t*>(data);
  frame->strides[0] = stride;
  frame->plane_bytes[0] = bytes;
  return guarded(BNN_ERROR_INVALID_FRAME, nullptr, [&] {
    if (bytes == 0) throw bnn::Error("frame: the buffer size is 0");
    bnn::ImagePreprocessor::check(bnn::view_of_frame(*frame));
  });
}

bnn_status bnn_model_load_file(const char* path, bnn_model** model) noexcept {
  if (!model) return null_argument("model");
  *model = nullptr;
  if (!path) return null_argument("path");
  return guarded(BNN_ERROR_INVALID_MODEL, nullptr, [&] {
    auto handle = std::make_unique<bnn_model>();
    handle->model = bnn::Model::load_file(path);
    handle->preprocessing = handle->model->preprocessing().describe();
    *model = handle.release();
  });
}

bnn_status bnn_model_load_buffer(const void* data, size_t size, bnn_model** model) noexcept {
  if (!model) return null_argument("model");
  *model = nullptr;
  if (!data) return null_argument("data");
  return guarded(BNN_ERROR_INVALID_MODEL, nullptr, [&] {
    auto handle = std::make_unique<bnn_model>();
    handle->model = bnn::Model::load_buffer(data, size);
    handle->preprocessing = handle->model->preprocessing().describe();
    *model = handle.release();
  });
}

void bnn_model_destroy(bnn_model* model) noexcept { delete model; }

bnn_status bnn_model_input_shape(const bnn_model* model, int32_t* channels, int32_t* height, int32_t* width) noexcept {
  if (!model) return null_argument("model");
  const bnn::Preprocessing& p = model->model->preprocessing();
  if (channels) *channels = p.channels;
  if (height) *height = p.height;
  if (width) *width = p.width;
  return BNN_OK;
}

size_t bnn_model_output_size(const bnn_model* model) noexcept {
  return model ? static_cast<size_t>(model->model->output().element_count()) : 0;
}

size_t bnn_model_label_count(const bnn_model* model) noexcept { return model ? model->model->labels().size() : 0; }

const char* bnn_model_label(const bnn_model* model, size_t index) noexcept {
  if (!model || index >= model->model->labels().size()) return nullptr;
  return model->model->labels()[index].c_str();
}

const char* bnn_model_preprocessing(const bnn_model* model) noexcept { return model ? model->preprocessing.c_str() : ""; }

uint32_t bnn_model_schema_version(const bnn_model* model) noexcept { return model ? model->model->schema_version() : 0; }

bnn_status bnn_context_create(const bnn_model* model, int32_t threads, bnn_context** context) noexcept {
  if (!context) return null_argument("context");
  *context = nullptr;
  if (!model) return null_argument("model");
  if (threads < 1 || threads > bnn::kMaxThreads) {
    return fail_with(BNN_ERROR_INVALID_ARGUMENT, nullptr, [&] {
      return "threads must be 1.." + std::to_string(bnn::kMaxThreads) + ", not " + std::to_string(threads);
    });
  }
  return guarded(BNN_ERROR_INVALID_MODEL, nullptr, [&] {
    auto handle = std::make_unique<bnn_context>();
    handle->model = model->model;
    handle->classifier = std::make_unique<bnn::Classifier>(model->model, bnn::SessionOptions{threads});
    handle->scores.resize(static_cast<size_t>(handle->classifier->classes()));
    *context = handle.release();
  });
}

void bnn_context_destroy(bnn_context* context) noexcept { delete context; }

const char* bnn_context_last_error(const bnn_context* context) noexcept { return context ? context->error.c_str() : ""; }

bnn_status bnn_context_run(bnn_context* context, const bnn_frame* frame) noexcept {
  if (!context) return null_argument("context");
  if (!frame) return null_argument("frame", context);
  context->has_run = false;
  context->classifier->clear_timing();
  // A frame the preprocessor refuses is the caller's; anything after it is a runtime failure.
  bnn::ImageView view;
  const bnn_status status = guarded(BNN_ERROR_INVALID_FRAME, context, [&] {
    view = bnn::view_of_frame(*frame);
    bnn::ImagePreprocessor::check(view);
  });
  if (status != BNN_OK) return status;
  return guarded(BNN_ERROR_RUNTIME, context, [&] {
    context->classifier->run(view);
    context->has_run = true;
  });
}

bnn_status bnn_context_run_input(bnn_context* context, const float* input_chw, size_t count) noexcept {
  if (!context) return null_argument("context");
  if (!input_chw) return null_argument("input_chw", context);
  context->has_run = false;
  context->classifier->clear_timing();
  const size_t want = static_cast<size_t>(context->model->input().element_count());
  if (count != want) {
    return fail_with(BNN_ERROR_INVALID_ARGUMENT, context, [&] {
      return "the input has " + std::to_string(count) + " values; the model takes " + std::to_string(want);
    });
  }
  return guarded(BNN_ERROR_RUNTIME, context, [&] {
    context->classifier->run_input(input_chw);
    context->has_run = true;
  });
}

size_t bnn_context_top_k(bnn_context* context, size_t k, bnn_class* classes) noexcept {
  if (!context || !classes || !context->has_run) return 0;
  const int want = static_cast<int>(std::min<size_t>(k, context->scores.size()));
  const int n = context->classifier->top_k(want, context->scores.data());
  for (int i = 0; i < n; ++i) {
    const bnn::ClassScore& s = context->scores[static_cast<size_t>(i)];
    classes[i] = {s.index, s.probability, context->classifier->label(s.index).c_str()};
  }
  return static_cast<size_t>(n);
}

bnn_status bnn_context_logits(const bnn_context* context, const float** logits, size_t* count) noexcept {
  if (!context) return null_argument("context");
  auto* writable = const_cast<bnn_context*>(context);  // its error message only
  if (!logits || !count) return null_argument("logits or count", writable);
  if (!context->has_run) return fail(BNN_ERROR_INVALID_ARGUMENT, "no successful run yet", writable);
  *logits = context->classifier->logits().data();
  *count = context->classifier->logits().size();
  return BNN_OK;
}

bnn_status bnn_context_last_timing(const bnn_context* context, double* preprocess_ms, double* inference_ms) noexcept {
  if (!context) return null_argument("context");
  if (preprocess_ms) *preprocess_ms = context->classifier->preprocess_seconds() * 1e3;
  if (inference_ms) *inference_ms = context->classifier->inference_seconds() * 1e3;
  return BNN_OK;
}

}  // extern "C"
