// SPDX-License-Identifier: Apache-2.0
// One model, shared read-only; N threads, each with its own Classifier (and
// the C API's contexts), classifying different frames in different orders;
// every result must equal the single-threaded one bit for bit.
//
// usage: threads_test MODEL.bnn [THREADS]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "bnn/bnn.h"
#include "bnn/classifier.h"

namespace {

struct Frame {
  bnn::PixelFormat format;
  int width, height;
  bnn::Rotation rotation;
  std::vector<uint8_t> bytes;

  bnn::ImageView view() const {
    bnn::ImageView v = bnn::frame_in_buffer(format, width, height, 0, bytes.data(), bytes.size());
    v.rotation = rotation;
    return v;
  }
};

std::vector<Frame> make_frames() {
  const bnn::PixelFormat formats[] = {bnn::PixelFormat::kNV12, bnn::PixelFormat::kI420, bnn::PixelFormat::kRGB888,
                                      bnn::PixelFormat::kYUYV, bnn::PixelFormat::kGray8, bnn::PixelFormat::kBGRA8888,
                                      bnn::PixelFormat::kNV21, bnn::PixelFormat::kXRGB8888};
  std::vector<Frame> frames;
  for (int i = 0; i < 16; ++i) {
    Frame f{formats[i % 8], 64 + 13 * i, 48 + 7 * i, static_cast<bnn::Rotation>(90 * (i % 4)), {}};
    f.bytes.resize(bnn::frame_bytes(f.format, f.width, f.height, 0));
    uint32_t state = 2654435761u * (i + 1);
    for (size_t k = 0; k < f.bytes.size(); ++k) {
      state = state * 1664525u + 1013904223u;
      // A bright blob on a dark, noisy background, different per frame.
      f.bytes[k] = static_cast<uint8_t>((state >> 27) + ((k / 97 + i) % 7 == 0 ? 180 : 20));
    }
    frames.push_back(std::move(f));
  }
  return frames;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: threads_test MODEL.bnn [THREADS]\n");
    return 2;
  }
  const int n_threads = argc > 2 ? std::atoi(argv[2]) : 4;
  auto model = bnn::Model::load_file(argv[1]);
  const std::vector<Frame> frames = make_frames();

  std::vector<std::vector<float>> expected;
  {
    bnn::Classifier one(model);
    for (const Frame& f : frames) {
      one.run(f.view());
      expected.push_back(one.logits());
    }
  }

  bnn_model* c_model = nullptr;
  if (bnn_model_load_file(argv[1], &c_model) != BNN_OK) {
    std::fprintf(stderr, "threads_test: %s\n", bnn_last_error());
    return 1;
  }
  std::vector<int> mismatches(static_cast<size_t>(n_threads), 0), runs(static_cast<size_t>(n_threads), 0);
  std::vector<std::thread> workers;
  for (int t = 0; t < n_threads; ++t) {
    workers.emplace_back([&, t] {
      try {
        if (t % 2 == 0) {  // C++ API, 1 or 2 threads inside each layer
          bnn::Classifier mine(model, bnn::SessionOptions{1 + t % 4 / 2});
          for (int round = 0; round < 5; ++round) {
            for (size_t k = 0; k < frames.size(); ++k) {
              const size_t i = (k * (2 * t + 1) + round) % frames.size();
              mine.run(frames[i].view());
              mismatches[t] += mine.logits() != expected[i];
              ++runs[t];
            }
          }
        } else {  // the C API: a context of its own on the one shared bnn_model
          bnn_context* c = nullptr;
          if (bnn_context_create(c_model, 1, &c) != BNN_OK) {
            mismatches[t] += 1000;
            return;
          }
          for (int round = 0; round < 5; ++round) {
            for (size_t k = 0; k < frames.size(); ++k) {
              const size_t i = (k * (2 * t + 1) + round) % frames.size();
              const Frame& f = frames[i];
              bnn_frame frame;
              bnn_frame_from_buffer(&frame, static_cast<bnn_pixel_format>(f.format), f.width, f.height, 0,
                                    f.bytes.data(), f.bytes.size());
              frame.rotation = static_cast<int>(f.rotation);
              const float* logits = nullptr;
              size_t count = 0;
              const bool ok = bnn_context_run(c, &frame) == BNN_OK && bnn_context_logits(c, &logits, &count) == BNN_OK &&
                              count == expected[i].size() &&
                              std::memcmp(logits, expected[i].data(), count * sizeof(float)) == 0;
              mismatches[t] += !ok;
              ++runs[t];
            }
          }
          bnn_context_destroy(c);
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "thread %d: %s\n", t, e.what());
        mismatches[t] += 1000;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  bnn_model_destroy(c_model);
  int failed = 0;
  for (int t = 0; t < n_threads; ++t) {
    std::printf("thread %d (%s): %d runs, %d differ from the single-threaded result\n", t, t % 2 ? "C API" : "C++",
                runs[t], mismatches[t]);
    failed += mismatches[t] != 0;
  }
  std::printf("%d passed, %d failed\n", n_threads - failed, failed);
  return failed ? 1 : 0;
}
