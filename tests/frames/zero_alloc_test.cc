// SPDX-License-Identifier: Apache-2.0
// No allocation per frame: 100 frames of each kind through bnn::Classifier
// (2 threads) and the C API, after one warm-up frame, with every heap
// allocation in the process counted (alloc_counter.h). Frames change between
// runs (their bytes, not their size), as a camera's do.
//
// usage: zero_alloc_test MODEL.bnn
#include <cstdio>
#include <cstring>
#include <vector>

#include "alloc_counter.h"
#include "bnn/bnn.h"
#include "bnn/classifier.h"

namespace {

int failures = 0;

void expect_none(const char* what, long allocations) {
  std::printf("%s %s: %ld allocations in 100 frames\n", allocations == 0 ? "ok  " : "FAIL", what, allocations);
  if (allocations != 0) ++failures;
}

void fill(std::vector<uint8_t>& frame, int seed) {
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>((i * 31 + seed * 17 + (i >> 9)) & 0xFF);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: zero_alloc_test MODEL.bnn\n");
    return 2;
  }
  try {
    auto model = bnn::Model::load_file(argv[1]);
    for (int threads : {1, 2}) {
      bnn::Classifier classifier(model, bnn::SessionOptions{threads});
      struct Kind {
        const char* name;
        bnn::PixelFormat format;
        int width, height;
        bnn::Rotation rotation;
      };
      for (const Kind& kind : {Kind{"NV12 640x480", bnn::PixelFormat::kNV12, 640, 480, bnn::Rotation::k0},
                               Kind{"YUYV 320x240, rotated 90", bnn::PixelFormat::kYUYV, 320, 240, bnn::Rotation::k90},
                               Kind{"BGRX8888 161x97", bnn::PixelFormat::kBGRX8888, 161, 97, bnn::Rotation::k180}}) {
        std::vector<uint8_t> frame(bnn::frame_bytes(kind.format, kind.width, kind.height, 0));
        bnn::ClassScore top[3];
        auto run = [&](int seed) {
          fill(frame, seed);
          bnn::ImageView view = bnn::frame_in_buffer(kind.format, kind.width, kind.height, 0, frame.data(), frame.size());
          view.rotation = kind.rotation;
          classifier.run(view);
          classifier.top_k(3, top);
        };
        run(0);
        alloc_counter::allocations = 0;
        alloc_counter::counting = true;
        for (int i = 1; i <= 100; ++i) run(i);
        alloc_counter::counting = false;
        char what[96];
        std::snprintf(what, sizeof what, "C++ %s, %d thread%s", kind.name, threads, threads > 1 ? "s" : "");
        expect_none(what, alloc_counter::allocations);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zero_alloc_test: %s\n", e.what());
    return 1;
  }

  // The C API: bnn_frame_from_buffer, bnn_context_run, bnn_context_top_k.
  bnn_model* model = nullptr;
  bnn_context* context = nullptr;
  if (bnn_model_load_file(argv[1], &model) != BNN_OK || bnn_context_create(model, 2, &context) != BNN_OK) {
    std::fprintf(stderr, "zero_alloc_test: %s\n", bnn_last_error());
    return 1;
  }
  std::vector<uint8_t> frame(bnn_frame_buffer_size(BNN_PIXEL_I420, 640, 480, 0));
  bnn_class top[5];
  bool ok = true;
  auto run = [&](int seed) {
    fill(frame, seed);
    bnn_frame f;
    ok = ok && bnn_frame_from_buffer(&f, BNN_PIXEL_I420, 640, 480, 0, frame.data(), frame.size()) == BNN_OK &&
         bnn_context_run(context, &f) == BNN_OK && bnn_context_top_k(context, 5, top) == 5;
  };
  run(0);
  alloc_counter::allocations = 0;
  alloc_counter::counting = true;
  for (int i = 1; i <= 100; ++i) run(i);
  alloc_counter::counting = false;
  if (!ok) {
    std::fprintf(stderr, "zero_alloc_test: a C API call failed: %s\n", bnn_context_last_error(context));
    ++failures;
  }
  expect_none("C API I420 640x480, 2 threads", alloc_counter::allocations);
  bnn_context_destroy(context);
  bnn_model_destroy(model);
  std::printf("%d failed\n", failures);
  return failures ? 1 : 0;
}
